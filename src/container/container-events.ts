import { nowEpochNs } from '../clock.js';
import { EventEmitter } from 'node:events';
import type { Container } from './container.js';

export type ContainerEventType = 'created' | 'started' | 'stopped' | 'deleted';

export interface ContainerEvent {
  type: ContainerEventType;
  container: Container;
  atNs: bigint;
}

/** Container lifecycle changes as they happen, for GetContainerEvents (kubelet's evented PLEG). */
export class ContainerEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Each kubelet keeps one stream; crictl and tests may add a few more.
    this.emitter.setMaxListeners(100);
  }

  publish(type: ContainerEventType, container: Container): void {
    this.emitter.emit('event', { type, container, atNs: nowEpochNs() } satisfies ContainerEvent);
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
