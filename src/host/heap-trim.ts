import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../log.js';

const CHECK_MS = 30_000;
/** Growth past the heap the last trim left that is let be. */
const SLACK_BYTES = 3 * 2 ** 20;

/**
 * V8 collects only when JavaScript allocates, so a quiet cri-ts kept what a
 * burst left (measured: 100 pods, the list calls, the pods removed: 29 MiB of
 * heap 70 s later, 11 more than idle; a full GC gives the pages back within a
 * second). Every `checkMs`, a full GC (a few ms at these heap sizes) when the
 * heap has grown more than 3 MiB past the size the last one left. The
 * first check always collects: start-up leaves its parsing and recovery
 * behind. Returns what stops it.
 */
export function startHeapTrim(log: Logger, checkMs = CHECK_MS): () => void {
  // gc() is exposed to a new context only, not to this one's globals.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let leftBytes = 0;
  const timer = setInterval(() => {
    const before = getHeapStatistics().total_heap_size;
    if (before < leftBytes + SLACK_BYTES) return;
    const started = performance.now();
    gc();
    const after = getHeapStatistics();
    leftBytes = after.total_heap_size;
    log.debug({ heapBeforeMb: mb(before), heapAfterMb: mb(leftBytes), liveMb: mb(after.used_heap_size), ms: Math.round(performance.now() - started) }, 'heap trimmed');
  }, checkMs);
  timer.unref();
  return () => clearInterval(timer);
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
