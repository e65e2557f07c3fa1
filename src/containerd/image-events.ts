import type { Logger } from '../log.js';
import { type AnyMessage, unpackAny } from './any.js';
import type { ContainerdClient } from './client.js';
import { EventSubscription } from './event-subscription.js';

export interface ImageEventHandlers {
  /** An image record was created or updated (its target or labels may have changed). */
  onRecordChanged(name: string): void;
  onRecordDeleted(name: string): void;
  /** Called after (re)subscribing: changes may have been missed meanwhile. */
  onSubscribed(): void;
  /** Called when the subscription broke: changes are missed until onSubscribed. */
  onLost(): void;
}

const TOPICS = ['/images/create', '/images/update', '/images/delete'] as const;

/**
 * Follows containerd's image record events in the client's namespace, so
 * images tagged, pulled or removed with ctr reach the catalog without polling.
 */
export class ImageEventMonitor {
  private readonly subscription: EventSubscription;

  constructor(containerd: ContainerdClient, handlers: ImageEventHandlers, log: Logger) {
    this.subscription = new EventSubscription(
      containerd,
      TOPICS,
      { onEvent: (topic, event) => dispatchImageEvent(topic, event, handlers), onSubscribed: () => handlers.onSubscribed(), onLost: () => handlers.onLost() },
      log,
    );
  }

  start(): void {
    this.subscription.start();
  }

  stop(): void {
    this.subscription.stop();
  }
}

/** The payloads (containerd.services.images.v1.ImageCreate, ImageUpdate, ImageDelete) all start with the record name. */
export function dispatchImageEvent(topic: string, event: AnyMessage, handlers: ImageEventHandlers): void {
  const name = unpackAny<{ name: string }>(event)?.name;
  if (!name) return;
  if (topic === '/images/delete') handlers.onRecordDeleted(name);
  else if (topic === '/images/create' || topic === '/images/update') handlers.onRecordChanged(name);
}
