import { nowEpochNs } from '../clock.js';
import type { Logger } from '../log.js';
import { unpackAny } from './any.js';
import type { ContainerdClient } from './client.js';

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
  private readonly abort = new AbortController();

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly handlers: TaskEventHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    let backoffMs = 100;
    while (!this.abort.signal.aborted) {
      try {
        const stream = this.containerd.subscribeEvents(
          { filters: [`topic=="/tasks/exit",namespace=="${this.containerd.namespace}"`, `topic=="/tasks/oom",namespace=="${this.containerd.namespace}"`] },
          { signal: this.abort.signal },
        );
        // The subscription is live once the first read is pending; give containerd a moment, then reconcile.
        setTimeout(() => this.handlers.onSubscribed?.(), 50);
        for await (const envelope of stream) {
          backoffMs = 100;
          if (!envelope.event) continue;
          if (envelope.topic === '/tasks/exit') {
            const exit = unpackAny<{ containerId: string; id: string; pid: number; exitStatus: number; exitedAt: TimestampLike | null }>(envelope.event);
            if (!exit) continue;
            const at = exit.exitedAt ? BigInt(exit.exitedAt.seconds) * 1_000_000_000n + BigInt(exit.exitedAt.nanos) : nowEpochNs();
            this.handlers.onExit({ containerId: exit.containerId, processId: exit.id, pid: exit.pid, exitStatus: exit.exitStatus, exitedAtNs: at });
          } else if (envelope.topic === '/tasks/oom') {
            const oom = unpackAny<{ containerId: string }>(envelope.event);
            if (oom) this.handlers.onOom?.(oom.containerId);
          }
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.log.warn({ err, retryMs: backoffMs }, 'containerd event subscription lost; subscribing again');
      }
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 2000);
    }
  }
}
