import { chmod, lstat, mkdir, stat, unlink } from 'node:fs/promises';
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
 * The socket's directory, made 0700 when cri-ts creates it: only root reaches
 * the socket, even in the moment between bind and chmod. A directory that is
 * already there (cri-ts's state directory in the default layout, which pods'
 * user namespaces must traverse) keeps its mode.
 */
async function ensureSocketDirectory(dir: string): Promise<void> {
  if (await stat(dir).then(() => true, () => false)) return;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // whatever the umask
}

/**
 * Makes `path` ready to bind: its directory exists, and a socket file left by
 * a previous run is removed. A socket something still answers on is refused,
 * so two daemons never fight over one endpoint.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  await ensureSocketDirectory(dirname(path));
  const existing = await lstat(path).catch(() => undefined);
  if (!existing) return;
  if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket; remove it or choose another grpc.address`);
  if (await socketAnswers(path)) throw new Error(`another server already listens on ${path}; stop it or choose another grpc.address`);
  await unlink(path);
}

/** Owner and group may connect (root and the group kubelet runs in), nobody else. */
export async function restrictSocketPermissions(path: string): Promise<void> {
  await chmod(path, 0o660);
}

/** sun_path holds 108 bytes with its terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** A name beside `path` to bind before the socket is ready; `path` itself when the longer name would not fit sun_path. */
export function temporarySocketPath(path: string): string {
  const temporary = `${path}.${process.pid}.new`;
  return Buffer.byteLength(temporary) <= MAX_SOCKET_PATH_BYTES ? temporary : path;
}
