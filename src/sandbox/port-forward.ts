import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { FailedPreconditionError } from '../errors.js';
import type { PortForwardConnection, PortForwarder } from '../streaming/types.js';
import type { PodContext } from './pod-context.js';

/** Pipes the client's connection to a local socket or process and resolves when both sides are done. */
function splice(conn: PortForwardConnection, peer: Duplex): Promise<void> {
  return new Promise((resolve) => {
    conn.data.pipe(peer);
    peer.pipe(conn.data);
    const done = (): void => {
      conn.data.unpipe(peer);
      resolve();
    };
    peer.once('close', done);
    conn.data.once('close', () => peer.destroy());
  });
}

/**
 * Port-forward into a pod: each connection reaches localhost:PORT as seen
 * from the pod's network namespace, through `nsenter --net` and socat (both
 * Debian packages), so nothing of cri-ts itself enters the namespace.
 */
export function podPortForwarder(ctx: PodContext): PortForwarder {
  return {
    async forward(podSandboxId, conn) {
      const sandbox = ctx.store.get(podSandboxId);
      if (sandbox.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; nothing listens in it`);
      const log = ctx.log.child({ podId: sandbox.id, port: conn.port });
      if (sandbox.metadata.hostNetwork) {
        const socket = connect({ host: 'localhost', port: conn.port });
        socket.once('error', (err) => conn.reportError(`failed to connect to localhost:${conn.port} on the node: ${err.message}`));
        await splice(conn, socket);
        return;
      }
      const child = spawn('nsenter', [`--net=${sandbox.metadata.netnsPath}`, 'socat', '-', `TCP:localhost:${conn.port}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      child.once('exit', (code) => {
        if (code !== 0) {
          const message = `failed to connect to localhost:${conn.port} inside the pod's network namespace: ${stderr.trim().split('\n').pop() ?? `socat exited ${code}`}`;
          log.info({ code }, message);
          conn.reportError(message);
        }
        conn.data.end();
      });
      conn.data.pipe(child.stdin);
      child.stdout.pipe(conn.data, { end: false });
      await new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        conn.data.once('close', () => child.kill('SIGTERM'));
      });
    },
  };
}
