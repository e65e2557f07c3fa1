import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PhaseTimer } from '../../../src/metrics/phase-timer.js';

describe('PhaseTimer', () => {
  it('lists phases in the order they started, a branch before its steps, and the total last', async () => {
    const phases = new PhaseTimer();
    await phases.time('image', () => sleep(5));
    const branchA = phases.time('network', async () => {
      await phases.time('netns', () => sleep(5));
      await phases.time('cni_add', () => sleep(20));
    });
    const branchB = phases.time('files', () => sleep(10));
    await Promise.all([branchA, branchB]);
    const timings = phases.finish();
    assert.deepEqual(
      timings.map((t) => t.phase),
      ['image', 'network', 'netns', 'files', 'cni_add', 'total'],
    );
    const byName = Object.fromEntries(timings.map((t) => [t.phase, t]));
    assert.ok(byName.network!.durationMs >= byName.netns!.durationMs + byName.cni_add!.durationMs - 1, 'a branch spans its steps');
    assert.ok(byName.cni_add!.startMs >= byName.netns!.startMs + byName.netns!.durationMs - 1, 'steps of a branch run one after the other');
    assert.ok(byName.files!.startMs < byName.cni_add!.startMs, 'branches overlap');
    assert.ok(byName.total!.durationMs >= byName.image!.durationMs + byName.network!.durationMs - 1);
    assert.equal(byName.total!.startMs, 0);
    for (const t of timings) assert.equal(t.durationMs, Math.round(t.durationMs * 1000) / 1000, 'kept to the microsecond');
  });

  it('lists a branch before its first step when both began at the same instant', async () => {
    const phases = new PhaseTimer();
    const started = performance.now();
    await sleep(2);
    phases.add('netns', started);
    await sleep(5);
    phases.add('network', started);
    assert.deepEqual(
      phases.finish().map((t) => t.phase),
      ['network', 'netns', 'total'],
    );
  });

  it('records nothing for a phase that failed, and passes its error on', async () => {
    const phases = new PhaseTimer();
    await assert.rejects(
      phases.time('cni_add', async () => {
        throw new Error('no IP left');
      }),
      /no IP left/,
    );
    assert.deepEqual(
      phases.finish().map((t) => t.phase),
      ['total'],
    );
  });

  it('records a phase timed by hand from its start', async () => {
    const phases = new PhaseTimer();
    const started = performance.now();
    await sleep(10);
    phases.add('parallel_setup', started);
    const [setup] = phases.finish();
    assert.equal(setup?.phase, 'parallel_setup');
    assert.ok(setup!.durationMs >= 9);
  });
});
