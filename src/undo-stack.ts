import type { Logger } from './log.js';

/**
 * Undo steps of a multi-step operation, run in reverse when a later step
 * fails, so an error leaves no namespace, IP, mount or snapshot behind.
 */
export class UndoStack {
  private readonly steps: Array<{ what: string; undo: () => Promise<void> }> = [];

  push(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /** Runs every step in reverse; a failing step is logged and the rest still run. */
  async unwind(log: Logger): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step.undo();
      } catch (err) {
        log.error({ err, step: step.what }, 'undo step failed; something may be left behind');
      }
    }
    this.steps.length = 0;
  }
}

/**
 * Waits for every step of `steps`, then throws the first failure, if any:
 * steps running side by side push their undo as they go, so the stack is
 * complete only once all have settled.
 */
export async function allStepsSettled<T extends readonly unknown[]>(steps: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((step): step is PromiseRejectedResult => step.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((step) => (step as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
