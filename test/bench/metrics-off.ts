/**
 * Preload for measuring what recording metrics costs: with
 * `node --import .../metrics-off.js`, cri-ts records no metric and times no
 * phase. Only test/bench/metrics-overhead-bench.ts uses it.
 */
import { CriTsMetrics, GrpcMethodRecorder } from '../../src/metrics/metrics.js';
import { PhaseTimer } from '../../src/metrics/phase-timer.js';

const noop = (): void => undefined;
GrpcMethodRecorder.prototype.done = noop;
for (const name of ['cniPluginCall', 'imagePull', 'commandRun', 'podStarted', 'containerCreated', 'containerStarted'] as const) {
  CriTsMetrics.prototype[name] = noop;
}
PhaseTimer.prototype.time = function time<T>(_phase: string, work: () => Promise<T>): Promise<T> {
  return work();
};
PhaseTimer.prototype.add = noop;
