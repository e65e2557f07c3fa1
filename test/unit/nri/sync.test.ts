import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyncGate } from '../../../src/nri/sync-gate.js';
import { syncBatches } from '../../../src/nri/synchronize.js';

describe('plugin synchronization', () => {
  it('waits for the steps in flight, and steps that come meanwhile wait for it', async () => {
    const gate = new SyncGate();
    const order: string[] = [];
    const step1 = await gate.share();
    const sync = gate.own().then((release) => {
      order.push('sync');
      return release;
    });
    const step2 = gate.share().then((release) => {
      order.push('step2');
      release();
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, []);
    step1();
    (await sync)();
    await step2;
    assert.deepEqual(order, ['sync', 'step2']);
  });

  it('splits pods and containers over several requests only when one would not fit a message', () => {
    const pods = Array.from({ length: 10 }, (_, i) => ({ id: `pod-${i}`, name: 'x'.repeat(100) }));
    assert.equal(syncBatches(pods, []).length, 1);
    const batches = syncBatches(pods, [{ id: 'c' }], 350);
    assert.ok(batches.length > 1);
    assert.deepEqual(
      batches.flatMap((b) => [...b.pods.map((p) => p.id), ...b.containers.map((c) => c.id)]),
      [...pods.map((p) => p.id), 'c'],
    );
  });
});
