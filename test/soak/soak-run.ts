import { readdir, readFile } from 'node:fs/promises';
import { criClient } from '../harness/cri-client.js';
import type { FaultStack } from '../harness/fault-stack.js';
import { countLeaks, describeLeaks, listLeaks, type LeakList } from '../harness/leak-list.js';
import { BUSYBOX_IMAGE } from '../harness/offline-images.js';
import { newCycleRecord, runCycle } from '../harness/pod-churn.js';
import { parsePrometheusText } from '../harness/prometheus-text.js';
import { heapAfterGc } from './inspector-gc.js';

/** One sample of cri-ts after `cycles` pod+container cycles. */
export interface SoakSample {
  cycles: number;
  rssMb: number;
  /** V8 heap in use as /metrics reports it (garbage not yet collected included). */
  heapUsedMb: number;
  /** V8 heap in use after a full GC, when cri-ts's inspector is reachable (NaN otherwise). */
  heapAfterGcMb: number;
  fds: number;
  /** The leak list's non-empty entries ("" when nothing is left). */
  leaks: string;
  leakCounts: Record<keyof LeakList, number>;
}

export interface SoakOptions {
  cycles: number;
  sampleEvery: number;
  /** Cycles run at once (kubelet starts pods in parallel). */
  parallel: number;
  /** cri-ts's metrics address (HOST:PORT), for its V8 heap figure. */
  metricsAddress: string;
  /** cri-ts's inspector WebSocket URL, for the heap after a full GC. */
  inspectorUrl?: string;
  onSample?: (sample: SoakSample) => void;
}

async function rssMbOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

async function heapUsedMb(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const sample = parsePrometheusText(text).find((s) => s.name === 'nodejs_heap_size_used_bytes');
  return sample ? Math.round(sample.value / 104857.6) / 10 : Number.NaN;
}

export async function sampleCriTs(stack: FaultStack, metricsAddress: string, cycles: number, inspectorUrl?: string): Promise<SoakSample> {
  const pid = stack.criTs.pid;
  const leakList = await listLeaks(stack.scope);
  const heapUsed = await heapUsedMb(metricsAddress);
  const afterGc = inspectorUrl ? (await heapAfterGc(inspectorUrl)).heapUsedMb : Number.NaN;
  return {
    cycles,
    rssMb: await rssMbOf(pid),
    heapUsedMb: heapUsed,
    heapAfterGcMb: afterGc,
    fds: (await readdir(`/proc/${pid}/fd`)).length,
    leaks: describeLeaks(leakList),
    leakCounts: countLeaks(leakList),
  };
}

/**
 * Runs `cycles` pod+container cycles (run pod, create, start, stop, remove
 * container, stop and remove pod), `parallel` at a time, sampling cri-ts's
 * RSS, V8 heap, fd count and the leak list before the first cycle and after
 * every `sampleEvery`. Samples are taken with no pod left, so the leak list
 * must be empty each time.
 */
export async function soak(stack: FaultStack, options: SoakOptions): Promise<SoakSample[]> {
  const samples: SoakSample[] = [];
  const take = async (cycles: number): Promise<void> => {
    const sample = await sampleCriTs(stack, options.metricsAddress, cycles, options.inspectorUrl);
    samples.push(sample);
    options.onSample?.(sample);
  };
  const cri = criClient(stack.criTs.socket);
  try {
    await take(0);
    let done = 0;
    while (done < options.cycles) {
      const batchEnd = Math.min(options.cycles, done + options.sampleEvery);
      let next = done;
      const worker = async (): Promise<void> => {
        while (next < batchEnd) {
          const n = next++;
          await runCycle(
            { client: () => cri, image: BUSYBOX_IMAGE, logDirectory: stack.logDirectory, cgroupParent: stack.cgroupParent, prefix: 'soak', retryForMs: 60_000 },
            newCycleRecord(`soak-${n}`),
          );
        }
      };
      await Promise.all(Array.from({ length: options.parallel }, worker));
      done = batchEnd;
      await take(done);
    }
  } finally {
    cri.close();
  }
  return samples;
}

/** Growth of `field` from the first sample at or after `warmupCycles` to the last, as a fraction. */
export function growthAfterWarmup(samples: SoakSample[], field: 'rssMb' | 'heapUsedMb' | 'heapAfterGcMb' | 'fds', warmupCycles: number): number {
  const base = samples.find((s) => s.cycles >= warmupCycles) ?? samples[0]!;
  const last = samples.at(-1)!;
  return (last[field] - base[field]) / base[field];
}
