import { nowEpochNs } from '../clock.js';
import type { Logger } from '../log.js';
import { type AnyMessage, unpackAny } from './any.js';
import type { ContainerdClient } from './client.js';
import { EventSubscription } from './event-subscription.js';

export interface TaskExitEvent {
  containerId: string;
  /** The exec ID, or the container ID for the init process. */
  processId: string;
  pid: number;
  exitStatus: number;
  exitedAtNs: bigint;
}

export interface TaskEventHandlers {
  onExit(event: TaskExitEvent): void;
  onOom?(containerId: string): void;
  /** Called after (re)subscribing: exits may have been missed meanwhile, so state should be re-read. */
  onSubscribed?(): void;
}

interface TimestampLike {
  seconds: string | number;
  nanos: number;
}

/**
 * Follows containerd's task exit and OOM events for the life of cri-ts,
 * subscribing again after containerd restarts, so a process that dies is
 * noticed at once rather than at the next poll.
 */
export class TaskEventMonitor {
  private readonly subscription: EventSubscription;

  constructor(containerd: ContainerdClient, handlers: TaskEventHandlers, log: Logger) {
    this.subscription = new EventSubscription(
      containerd,
      ['/tasks/exit', '/tasks/oom'],
      { onEvent: (topic, event) => dispatchTaskEvent(topic, event, handlers), onSubscribed: () => handlers.onSubscribed?.() },
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

function dispatchTaskEvent(topic: string, event: AnyMessage, handlers: TaskEventHandlers): void {
  if (topic === '/tasks/exit') {
    const exit = unpackAny<{ containerId: string; id: string; pid: number; exitStatus: number; exitedAt: TimestampLike | null }>(event);
    if (!exit) return;
    const at = exit.exitedAt ? BigInt(exit.exitedAt.seconds) * 1_000_000_000n + BigInt(exit.exitedAt.nanos) : nowEpochNs();
    handlers.onExit({ containerId: exit.containerId, processId: exit.id, pid: exit.pid, exitStatus: exit.exitStatus, exitedAtNs: at });
  } else if (topic === '/tasks/oom') {
    const oom = unpackAny<{ containerId: string }>(event);
    if (oom) handlers.onOom?.(oom.containerId);
  }
}
