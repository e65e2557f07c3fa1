import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommandOrThrow } from '../../host/command-runner.js';

const BATCH = 32;
const LOW_WATER = 12;

/**
 * Ready-made FIFOs, so starting a container or an exec does not wait for a
 * `mkfifo` process (Node has no mkfifo call): they are made in batches in the
 * background and renamed into place, which is one cheap syscall. The pool sits
 * on the same filesystem as the FIFOs' final directories (under `state`).
 */
export class FifoPool {
  private readonly ready: string[] = [];
  private refilling: Promise<void> | undefined;
  private serial = 0;

  constructor(private readonly dir: string) {}

  /** Moves `count` fresh FIFOs to `targets` (which must be on the pool's filesystem). */
  async placeAt(targets: readonly string[]): Promise<void> {
    while (this.ready.length < targets.length) await this.refill();
    const taken = this.ready.splice(0, targets.length);
    await Promise.all(taken.map((from, i) => rename(from, targets[i]!)));
    if (this.ready.length < LOW_WATER) void this.refill().catch(() => undefined);
  }

  private refill(): Promise<void> {
    this.refilling ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const batch = Array.from({ length: BATCH }, () => join(this.dir, `fifo-${process.pid}-${this.serial++}`));
      await runCommandOrThrow('mkfifo', ['-m', '600', '--', ...batch]);
      this.ready.push(...batch);
    })().finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }
}

let pool: FifoPool | undefined;

/** Set by the daemon at start; without it FIFOs are made one mkfifo call at a time. */
export function useFifoPool(dir: string): void {
  pool = new FifoPool(dir);
}

export function fifoPool(): FifoPool | undefined {
  return pool;
}
