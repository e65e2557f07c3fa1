import { lstat } from 'node:fs/promises';
import type { ContainerdConfig } from '../config/config.js';
import { type CheckResult, fail, ok, warn } from './check.js';
import type { ContainerdProbe } from './containerd-probe.js';
import { findExecutable, firstOutputLine } from './host-probes.js';

const NAME = 'containerd';
/** cri-ts speaks the containerd 1.x API, which containerd has served unchanged since 1.6. */
const OLDEST = [1, 6] as const;

function isOlderThanSupported(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major < OLDEST[0] || (major === OLDEST[0] && minor < OLDEST[1]);
}

function versionCheck(detail: string, version: string): CheckResult {
  if (!isOlderThanSupported(version)) return ok(NAME, detail);
  return warn(NAME, `${detail}: older than ${OLDEST.join('.')}, which cri-ts is tested against`, 'upgrade containerd to 1.6 or later');
}

/** containerd answers where cri-ts looks for it, or the managed one can be started. */
export async function checkContainerd(config: ContainerdConfig, probe: ContainerdProbe, searchPath?: string): Promise<CheckResult> {
  const { answering, silent } = await probe.find();
  if (answering) {
    const which = answering.managed ? "cri-ts's managed containerd" : 'containerd';
    return versionCheck(`${which} ${answering.version} answers at ${answering.address}`, answering.version);
  }
  const socketThere = await lstat(config.address).then((s) => s.isSocket(), () => false);
  const why = silent.find((s) => s.address === config.address)?.reason ?? 'no answer';
  const nobody = socketThere ? `nothing answers at ${config.address} (${why})` : `no socket at ${config.address}`;
  if (!config.managed.enabled) {
    return fail(NAME, nobody, `start containerd, point containerd.address at its socket, or set containerd.managed.enabled = true so cri-ts starts its own`);
  }
  const binary = await findExecutable(config.managed.binary, searchPath);
  if (!binary) {
    return fail(
      NAME,
      `${nobody}, and the managed containerd's binary "${config.managed.binary}" is not an executable on PATH`,
      'install containerd (Debian: apt-get install containerd) or set containerd.managed.binary to its path',
    );
  }
  const version = await firstOutputLine(binary, ['--version'], 2000);
  if ('error' in version) return fail(NAME, `${nobody}; the managed containerd's binary does not run: ${version.error}`, `reinstall containerd or fix ${binary}`);
  const number = /\bv?\d+\.\d+\.\d+\S*/.exec(version.line)?.[0] ?? version.line;
  return versionCheck(`${nobody}; cri-ts will start its own: ${binary} ${number}`, number);
}
