import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const CRI_TOOLS_VERSION = process.env.CRITEST_VERSION ?? 'v1.37.0';
const cacheDir = process.env.CRI_TS_CACHE ?? '/var/cache/cri-ts';

/** crictl built from its Go module by test/critest/build-tools.sh. */
export function crictlPath(): string {
  const path = process.env.CRICTL ?? `${cacheDir}/tools/${CRI_TOOLS_VERSION}/crictl`;
  if (!existsSync(path)) throw new Error(`crictl not found at ${path}; run test/critest/build-tools.sh`);
  return path;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs crictl against `socket`; never throws on a non-zero exit, the caller asserts. */
export async function crictl(socket: string, args: string[], timeoutSeconds = 30): Promise<CommandResult> {
  const endpoint = `unix://${socket}`;
  try {
    const { stdout, stderr } = await execFileAsync(
      crictlPath(),
      ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '--timeout', `${timeoutSeconds}s`, ...args],
      { timeout: (timeoutSeconds + 10) * 1000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

export async function crictlJson<T>(socket: string, args: string[]): Promise<T> {
  // Flags go before positional arguments, or crictl takes them for image names.
  const result = await crictl(socket, [args[0] ?? '', '-o', 'json', ...args.slice(1)]);
  if (result.code !== 0) throw new Error(`crictl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
