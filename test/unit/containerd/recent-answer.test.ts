import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reuseRecentSuccess } from '../../../src/containerd/recent-answer.js';

function probeScript(outcomes: Array<'ok' | 'fail'>): { probe: (timeoutMs: number) => Promise<void>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    probe: async (timeoutMs) => {
      calls.push(timeoutMs);
      if (outcomes.shift() === 'fail') throw new Error('containerd does not answer');
    },
  };
}

describe('reuseRecentSuccess', () => {
  it('reuses a success for maxAgeMs, then probes again', async () => {
    let now = 0;
    const { probe, calls } = probeScript(['ok', 'ok']);
    const check = reuseRecentSuccess(probe, 1000, () => now);
    await check(2000);
    now = 999;
    await check(2000);
    assert.equal(calls.length, 1);
    now = 2000;
    await check(2000);
    assert.deepEqual(calls, [2000, 2000]);
  });

  it('never reuses a failure: the next check probes again', async () => {
    const now = 0;
    const { probe, calls } = probeScript(['fail', 'ok']);
    const check = reuseRecentSuccess(probe, 1000, () => now);
    await assert.rejects(check(10), /does not answer/);
    await check(10);
    assert.equal(calls.length, 2);
  });

  it('checks at the same time share one probe', async () => {
    const { probe, calls } = probeScript(['ok']);
    const check = reuseRecentSuccess(probe, 0, () => 0);
    await Promise.all([check(10), check(10), check(10)]);
    assert.equal(calls.length, 1);
  });
});

describe('reuseRecentSuccess with the connection state', () => {
  it('past maxAgeMs, while connected to a containerd that answered, passes at once and probes again behind the caller', async () => {
    let now = 0;
    let connected = true;
    const { probe, calls } = probeScript(['ok', 'fail', 'fail', 'fail', 'ok']);
    const check = reuseRecentSuccess(probe, 1000, () => now, () => connected);
    await check(10);
    now = 5000;
    await check(10); // passes; its background probe (on a timer) fails
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.length, 2);
    await assert.rejects(check(10), /does not answer/, 'after a failed probe the check waits for the next one');
    connected = false;
    now = 6000;
    await assert.rejects(check(10), /does not answer/);
    await check(10);
    assert.equal(calls.length, 5);
  });

  it('waits for a probe while the connection is down, even right after a success went stale', async () => {
    let now = 0;
    const { probe, calls } = probeScript(['ok', 'fail']);
    const check = reuseRecentSuccess(probe, 1000, () => now, () => false);
    await check(10);
    now = 1001;
    await assert.rejects(check(10), /does not answer/);
    assert.equal(calls.length, 2);
  });

  it('waits for the first probe even when connected', async () => {
    const { probe } = probeScript(['fail']);
    const check = reuseRecentSuccess(probe, 1000, () => 0, () => true);
    await assert.rejects(check(10), /does not answer/);
  });
});
