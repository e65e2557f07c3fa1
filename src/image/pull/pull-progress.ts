import type { Logger } from '../../log.js';

/**
 * Logs a pull's progress at info level: per layer, bytes done of total, at
 * most once per `intervalMs` per layer and once when a layer completes, so a
 * long pull shows it is moving without flooding the log.
 */
export class PullProgress {
  private readonly lastLogged = new Map<string, number>();
  private readonly done = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly totalBytes: number,
    private readonly intervalMs = 1000,
  ) {}

  update(layer: string, done: number, total: number): void {
    this.done.set(layer, done);
    const now = Date.now();
    const complete = done >= total;
    if (!complete && now - (this.lastLogged.get(layer) ?? 0) < this.intervalMs) return;
    this.lastLogged.set(layer, now);
    const pulled = [...this.done.values()].reduce((a, b) => a + b, 0);
    this.log.info({ layer, done, total, imageDone: pulled, imageTotal: this.totalBytes }, complete ? 'layer downloaded' : 'pulling layer');
  }

  /** A layer the content store already had counts as done without a download. */
  present(layer: string, size: number): void {
    this.done.set(layer, size);
  }
}
