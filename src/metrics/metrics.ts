import { performance } from 'node:perf_hooks';
import type { CriTsMetrics } from './prom-metrics.js';
import type { PhaseTiming } from './phase-timer.js';

export type Outcome = 'success' | 'failure';

/** Counts of pods and containers by state, read from the lifecycles' indexes at each scrape. */
export interface ObjectStateCounts {
  pods: Record<string, number>;
  containers: Record<string, number>;
}

/** Runs `work` and tells `record` how it ended and how many seconds it took. */
export async function withOutcome<T>(work: () => Promise<T>, record: (result: Outcome, seconds: number) => void): Promise<T> {
  const started = performance.now();
  try {
    const value = await work();
    record('success', (performance.now() - started) / 1000);
    return value;
  } catch (err) {
    record('failure', (performance.now() - started) / 1000);
    throw err;
  }
}

/** "/pkg.Service/Method" (a gRPC method path) as its service and method. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const slash = path.lastIndexOf('/');
  return { service: path.slice(path.startsWith('/') ? 1 : 0, slash), method: path.slice(slash + 1) };
}

/** Records the calls of one gRPC method: latency, and a count by status code. */
export interface GrpcMethodRecorder {
  done(code: number, seconds: number): void;
}

/** What every layer records. */
export interface MetricsRecorder {
  /** The recorder of one CRI method, made when the service is registered. */
  criMethod(service: string, method: string): GrpcMethodRecorder;
  /** The recorder of one containerd method, by its gRPC path ("/containerd.services.tasks.v1.Tasks/Create"). */
  containerdMethod(path: string): GrpcMethodRecorder;
  cniPluginCall(plugin: string, command: string, result: Outcome, seconds: number): void;
  imagePull(result: Outcome, seconds: number, bytes: number): void;
  /** A host program ran; `spawnSeconds` is absent when it could not be started. */
  commandRun(program: string, spawnSeconds: number | undefined, seconds: number): void;
  podStarted(phases: readonly PhaseTiming[]): void;
  containerCreated(phases: readonly PhaseTiming[]): void;
  containerStarted(phases: readonly PhaseTiming[]): void;
}

/** A method recorder made before metrics were enabled: it binds to the real one at its first call after. */
class LateBoundRecorder implements GrpcMethodRecorder {
  private bound: GrpcMethodRecorder | undefined;

  constructor(private readonly bind: () => GrpcMethodRecorder | undefined) {}

  done(code: number, seconds: number): void {
    (this.bound ??= this.bind())?.done(code, seconds);
  }
}

/**
 * The process's metrics. Nothing is recorded, and prom-client (about 12 MB
 * and 90 ms of start-up) is not loaded, until `enable()`: the daemon calls it
 * only when `[metrics] address` is set.
 */
export class ProcessMetrics implements MetricsRecorder {
  private families: CriTsMetrics | undefined;
  private enabling: Promise<CriTsMetrics> | undefined;

  /** Loads prom-client and starts recording; the families to serve. */
  enable(): Promise<CriTsMetrics> {
    this.enabling ??= import('./prom-metrics.js').then(({ CriTsMetrics }) => (this.families = new CriTsMetrics()));
    return this.enabling;
  }

  criMethod(service: string, method: string): GrpcMethodRecorder {
    return new LateBoundRecorder(() => this.families?.criMethod(service, method));
  }

  containerdMethod(path: string): GrpcMethodRecorder {
    return new LateBoundRecorder(() => this.families?.containerdMethod(path));
  }

  cniPluginCall(plugin: string, command: string, result: Outcome, seconds: number): void {
    this.families?.cniPluginCall(plugin, command, result, seconds);
  }

  imagePull(result: Outcome, seconds: number, bytes: number): void {
    this.families?.imagePull(result, seconds, bytes);
  }

  commandRun(program: string, spawnSeconds: number | undefined, seconds: number): void {
    this.families?.commandRun(program, spawnSeconds, seconds);
  }

  podStarted(phases: readonly PhaseTiming[]): void {
    this.families?.podStarted(phases);
  }

  containerCreated(phases: readonly PhaseTiming[]): void {
    this.families?.containerCreated(phases);
  }

  containerStarted(phases: readonly PhaseTiming[]): void {
    this.families?.containerStarted(phases);
  }
}

/** Every layer records here; the daemon enables and serves it. */
export const metrics = new ProcessMetrics();
