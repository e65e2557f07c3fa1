import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CheckResult, fail, ok, warn } from './check.js';
import { nearestExisting, unixSocketAnswers } from './host-probes.js';

const NAME = 'socket';
/** sun_path holds 108 bytes with its terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** The directory of grpc.address: there or creatable, not writable by others; and the socket itself, if one is there. */
export async function checkSocket(address: string, uid = process.getuid?.() ?? 0): Promise<CheckResult> {
  if (Buffer.byteLength(address) > MAX_SOCKET_PATH_BYTES) {
    return fail(NAME, `grpc.address is ${Buffer.byteLength(address)} bytes; a unix socket path holds at most ${MAX_SOCKET_PATH_BYTES}`, 'choose a shorter grpc.address, e.g. /run/cri-ts/cri-ts.sock');
  }
  const dir = dirname(address);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat) {
    const parent = await nearestExisting(dir);
    const writable = await access(parent, constants.W_OK).then(() => true, () => false);
    if (!writable) return fail(NAME, `${dir} does not exist and cannot be created in ${parent}`, `create ${dir} (mode 0700) or run cri-ts as root`);
    return ok(NAME, `${dir} does not exist yet; cri-ts creates it (mode 0700) at start`);
  }
  if (!dirStat.isDirectory()) return fail(NAME, `${dir} is not a directory`, `remove ${dir} or choose another grpc.address`);
  // Whoever may write the directory may swap the socket for their own.
  if ((dirStat.mode & 0o002) !== 0 && (dirStat.mode & 0o1000) === 0) {
    return warn(NAME, `${dir} is writable by everyone (mode ${octal(dirStat.mode)})`, `chmod 0711 ${dir}`);
  }
  if (dirStat.uid !== uid) return warn(NAME, `${dir} belongs to uid ${dirStat.uid}, not to cri-ts's uid ${uid}`, `chown ${uid} ${dir}`);
  const existing = await lstat(address).catch(() => undefined);
  if (!existing) return ok(NAME, `${dir} (mode ${octal(dirStat.mode)}) is ready for ${address}`);
  if (!existing.isSocket()) return fail(NAME, `${address} exists and is not a socket: cri-ts will refuse to start`, `remove ${address} or choose another grpc.address`);
  if (!(await unixSocketAnswers(address, 1000))) return ok(NAME, `${address} is left from an earlier run; cri-ts replaces it at start`);
  if ((existing.mode & 0o007) !== 0) return warn(NAME, `a server answers at ${address}, and its mode ${octal(existing.mode)} lets every user in`, `chmod 0660 ${address}`);
  return ok(NAME, `a server answers at ${address} (mode ${octal(existing.mode)})`);
}
