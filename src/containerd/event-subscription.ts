import type { Logger } from '../log.js';
import type { AnyMessage } from './any.js';
import type { ContainerdClient } from './client.js';

export interface EventSubscriptionHandlers {
  onEvent(topic: string, event: AnyMessage): void;
  /** Called after each (re)subscription: events may have been missed meanwhile, so state should be re-read. */
  onSubscribed?(): void;
  /** Called when the subscription broke; events are missed until onSubscribed. */
  onLost?(): void;
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
/** The subscription is live once containerd registered it; there is no signal for that, so wait this long. */
const SUBSCRIBED_SETTLE_MS = 50;

/**
 * Follows some of containerd's event topics in the client's namespace for
 * the life of cri-ts, subscribing again with backoff after containerd
 * restarts.
 */
export class EventSubscription {
  private readonly abort = new AbortController();

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly topics: readonly string[],
    private readonly handlers: EventSubscriptionHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    const filters = this.topics.map((topic) => `topic==${JSON.stringify(topic)},namespace==${JSON.stringify(this.containerd.namespace)}`);
    let backoffMs = FIRST_BACKOFF_MS;
    while (!this.abort.signal.aborted) {
      const settled = setTimeout(() => {
        backoffMs = FIRST_BACKOFF_MS;
        this.handlers.onSubscribed?.();
      }, SUBSCRIBED_SETTLE_MS);
      try {
        const stream = this.containerd.subscribeEvents({ filters }, { signal: this.abort.signal });
        for await (const envelope of stream) {
          if (envelope.event) this.handlers.onEvent(envelope.topic, envelope.event);
        }
        if (this.abort.signal.aborted) return;
        this.log.warn({ topics: this.topics, retryMs: backoffMs }, 'containerd ended the event subscription; subscribing again');
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.log.warn({ err, topics: this.topics, retryMs: backoffMs }, 'containerd event subscription lost; subscribing again');
      } finally {
        clearTimeout(settled);
      }
      this.handlers.onLost?.();
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
}
