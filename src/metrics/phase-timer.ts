import { performance } from 'node:perf_hooks';

/** One phase of an operation: when it began after the operation did, and how long it took. */
export interface PhaseTiming {
  phase: string;
  startMs: number;
  durationMs: number;
}

/** Milliseconds to the microsecond: finer digits are noise and only lengthen `crictl inspectp`. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Times the phases of one operation (RunPodSandbox, CreateContainer, ...).
 * Phases may run at once (parallel branches) or inside one another (a
 * branch and its steps); each is recorded with its own start and duration.
 * A phase that throws is not recorded: the operation failed.
 */
export class PhaseTimer {
  private readonly origin = performance.now();
  private readonly timings: PhaseTiming[] = [];

  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await work();
    this.add(phase, start);
    return result;
  }

  /** Records `phase` as running from `start` (a performance.now() value) until now. */
  add(phase: string, start: number): void {
    this.timings.push({ phase, startMs: roundMs(start - this.origin), durationMs: roundMs(performance.now() - start) });
  }

  /** Milliseconds since the timer was made. */
  elapsedMs(): number {
    return roundMs(performance.now() - this.origin);
  }

  /** The phases in the order they started, then `total`: the operation from the timer's creation to now. */
  finish(): PhaseTiming[] {
    // A branch starts with its first step: the longer (enclosing) one is listed first.
    const phases = [...this.timings].sort((a, b) => a.startMs - b.startMs || b.durationMs - a.durationMs);
    phases.push({ phase: 'total', startMs: 0, durationMs: this.elapsedMs() });
    return phases;
  }
}
