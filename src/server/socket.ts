import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/** True when something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Makes `path` ready to bind: its directory exists, and a socket file left by
 * a previous run is removed. A socket something still answers on is refused,
 * so two daemons never fight over one endpoint.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o711 });
  const existing = await lstat(path).catch(() => undefined);
  if (!existing) return;
  if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket; remove it or choose another grpc.address`);
  if (await socketAnswers(path)) throw new Error(`another server already listens on ${path}; stop it or choose another grpc.address`);
  await unlink(path);
}

export async function restrictSocketPermissions(path: string): Promise<void> {
  await chmod(path, 0o660);
}
