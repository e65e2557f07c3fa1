/**
 * Preload for measuring what recording metrics costs: with
 * `node --import .../metrics-off.js`, cri-ts times no phase either (without
 * `[metrics] address` it records no metric). Only
 * test/bench/metrics-overhead-bench.ts uses it.
 */
import { PhaseTimer } from '../../src/metrics/phase-timer.js';

const noop = (): void => undefined;
PhaseTimer.prototype.time = function time<T>(_phase: string, work: () => Promise<T>): Promise<T> {
  return work();
};
PhaseTimer.prototype.add = noop;
