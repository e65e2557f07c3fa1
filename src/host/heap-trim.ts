import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../log.js';

const CHECK_MS = 30_000;
/** Allocation since the last trim below which a check does nothing: a quiet daemon is left alone. */
const ALLOCATED_BYTES = 2 ** 20;

/**
 * V8 collects only when JavaScript allocates, so a quiet cri-ts kept what a
 * burst left (measured: 100 pods, the list calls, the pods removed: 29 MiB of
 * heap 70 s later, 11 more than idle; a full GC gives the pages back within a
 * second). Every `checkMs`, a full GC (5 to 25 ms at these heap sizes; under
 * load V8 runs one about every 10 s itself) unless the heap in use has not
 * grown by 1 MiB since the last one. Growth past the last trim's size is no
 * test: what a burst leaves is garbage only once its pods are gone, with no
 * growth at all. The first check always collects: start-up leaves its
 * parsing and recovery behind. Returns what stops it.
 */
export function startHeapTrim(log: Logger, checkMs = CHECK_MS): () => void {
  // gc() is exposed to a new context only, not to this one's globals.
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  // Set back at once (gc() stays): V8's code cache carries a hash of the flags, and one written
  // with a flag changed is refused at the next start (src/host/code-cache.ts).
  setFlagsFromString('--no-expose-gc');
  // Compacting: a plain full GC frees objects but V8 keeps every page that still holds one
  // survivor, so the heap stayed committed at its peak (measured: 24.5 MiB for 15 MiB live
  // after 100 pods were removed). The flag is read during that GC only.
  const gc = (): void => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      collect();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
  let usedAfterTrim = -ALLOCATED_BYTES;
  const timer = setInterval(() => {
    const before = getHeapStatistics();
    if (before.used_heap_size < usedAfterTrim + ALLOCATED_BYTES) return;
    const started = performance.now();
    gc();
    const after = getHeapStatistics();
    usedAfterTrim = after.used_heap_size;
    log.debug({ heapBeforeMb: mb(before.total_heap_size), heapAfterMb: mb(after.total_heap_size), liveMb: mb(usedAfterTrim), ms: Math.round(performance.now() - started) }, 'heap trimmed');
  }, checkMs);
  timer.unref();
  return () => clearInterval(timer);
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
