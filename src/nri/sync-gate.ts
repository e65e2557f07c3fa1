/**
 * Keeps a plugin's synchronization apart from pod and container steps in
 * flight: a step holds the gate shared from the moment plugins hear of it
 * until the pod or container is in the index (so a plugin that connects
 * meanwhile gets it in its Synchronize, or its event, never neither); a
 * synchronization holds it alone. Once a synchronization waits, new steps
 * wait behind it. Steps never hold it twice, so that cannot deadlock.
 */
export class SyncGate {
  private sharers = 0;
  private exclusive = false;
  private readonly waitingSharers: Array<() => void> = [];
  private readonly waitingExclusive: Array<() => void> = [];

  /** Holds the gate shared; call the returned function once to let go. */
  async share(): Promise<() => void> {
    if (this.exclusive || this.waitingExclusive.length > 0) await new Promise<void>((resolve) => this.waitingSharers.push(resolve));
    else this.sharers++;
    return this.once(() => {
      this.sharers--;
      this.wake();
    });
  }

  /** Holds the gate alone, once every step holding it shared let go. */
  async own(): Promise<() => void> {
    if (this.exclusive || this.sharers > 0) await new Promise<void>((resolve) => this.waitingExclusive.push(resolve));
    else this.exclusive = true;
    return this.once(() => {
      this.exclusive = false;
      this.wake();
    });
  }

  private wake(): void {
    if (this.exclusive || this.sharers > 0) return;
    const next = this.waitingExclusive.shift();
    if (next) {
      this.exclusive = true;
      next();
      return;
    }
    const sharers = this.waitingSharers.splice(0);
    this.sharers += sharers.length;
    for (const resolve of sharers) resolve();
  }

  private once(release: () => void): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  }
}
