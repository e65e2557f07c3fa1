import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import type { PortForwarder } from '../types.js';

export interface ForwardTarget {
  podSandboxId: string;
  port: number;
  data: Duplex;
  /** Writes a message to the connection's error stream. */
  writeError: (message: string) => void;
}

/**
 * Runs one forwarded connection; a failure goes to the error stream worded as
 * kubelet's (the CRI streaming server has no pod UID, hence "uid :").
 */
export async function runForward(forwarder: PortForwarder, target: ForwardTarget, log: Logger): Promise<void> {
  const { podSandboxId, port, data } = target;
  try {
    await forwarder.forward(podSandboxId, { port, data, reportError: target.writeError });
    log.debug({ port }, 'port-forward connection done');
  } catch (err) {
    const message = `error forwarding port ${port} to pod ${podSandboxId}, uid : ${errorMessage(err)}`;
    log.warn({ port, err: errorMessage(err) }, 'port-forward failed');
    target.writeError(message);
  }
}

/** Parses a port as kubelet does: decimal, 1-65535. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}
