import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpuRateTracker } from '../../../src/stats/cpu-rate.js';

const SECOND = 1_000_000_000n;

describe('CpuRateTracker', () => {
  it('has no rate for the first sample, then delta usage per second', () => {
    const rates = new CpuRateTracker();
    assert.equal(rates.update('c1', 10n * SECOND, 4n * SECOND), undefined);
    // 1.5 cores busy for 2 s.
    assert.equal(rates.update('c1', 12n * SECOND, 7n * SECOND), 1_500_000_000n);
    assert.equal(rates.update('c1', 12n * SECOND + SECOND / 2n, 7n * SECOND + 50_000_000n), 100_000_000n);
  });

  it('keeps keys apart, ignores non-advancing timestamps and restarts on a counter reset or forget', () => {
    const rates = new CpuRateTracker();
    rates.update('a', SECOND, 0n);
    rates.update('b', SECOND, 0n);
    assert.equal(rates.update('a', SECOND, 5n), undefined);
    assert.equal(rates.update('a', 2n * SECOND, SECOND / 4n), 250_000_000n);
    assert.equal(rates.update('b', 3n * SECOND, SECOND), 500_000_000n);
    assert.equal(rates.update('b', 4n * SECOND, 10n), undefined);
    assert.equal(rates.update('b', 5n * SECOND, 10n + SECOND), SECOND);
    rates.forget('a');
    assert.equal(rates.update('a', 6n * SECOND, SECOND), undefined);
  });

  it('drops the samples of keys not read for ten minutes (removed containers), keeping the live ones', () => {
    const rates = new CpuRateTracker();
    rates.update('gone', 100n * SECOND, 0n);
    rates.update('live', 100n * SECOND, 0n);
    for (let t = 200n; t <= 800n; t += 100n) rates.update('live', t * SECOND, t);
    assert.equal(rates.size, 1);
    assert.equal(rates.update('live', 900n * SECOND, 900n), 1n);
  });
});
