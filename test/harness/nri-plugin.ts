import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnDaemon, stopProcess, waitFor } from './processes.js';

const buildScript = fileURLToPath(new URL('../../../test/nri/build-nri-plugin.sh', import.meta.url));

/** One event test/nri/plugin recorded. */
export interface NriTestEvent {
  event: string;
  podId?: string;
  podName?: string;
  containerId?: string;
  containerName?: string;
  state?: string;
  pods?: string[];
  containers?: string[];
  detail?: Record<string, string>;
}

/** Builds (once, cached outside the repo) the NRI test plugin on containerd/nri's Go module; its path. */
export async function nriTestPluginBinary(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [buildScript], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  return join(stdout.trim().split('\n').pop()!, 'nri-test-plugin');
}

export async function readNriEvents(file: string): Promise<NriTestEvent[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as NriTestEvent);
}

export interface ExternalNriPlugin {
  readonly process: ChildProcess;
  readonly eventsFile: string;
  events(): Promise<NriTestEvent[]>;
  stop(): Promise<void>;
}

/** Whether the runtime's log says plugin IDX-NAME is synchronized (from then on it sees every step). */
export function nriPluginSynchronized(runtimeLog: string, plugin: string): boolean {
  return runtimeLog.split('\n').some((line) => line.includes('"NRI plugin synchronized"') && line.includes(`"plugin":"${plugin}"`));
}

/** Runs the test plugin as an external plugin on `socket`; resolves once the runtime synchronized it. */
export async function startExternalNriPlugin(
  binary: string,
  options: { socket: string; dir: string; name: string; idx: string; raw?: boolean; runtimeLog: () => Promise<string> },
): Promise<ExternalNriPlugin> {
  const eventsFile = join(options.dir, `${options.idx}-${options.name}.events`);
  const args = ['-socket', options.socket, '-name', options.name, '-idx', options.idx, '-events', eventsFile, ...(options.raw ? ['-raw'] : [])];
  const child = spawnDaemon(binary, args, join(options.dir, `${options.idx}-${options.name}.log`));
  const events = (): Promise<NriTestEvent[]> => readNriEvents(eventsFile);
  await waitFor(`NRI plugin ${options.idx}-${options.name} to be synchronized`, async () => {
    if (child.exitCode !== null) throw new Error(`NRI plugin ${options.name} exited with ${child.exitCode}`);
    return nriPluginSynchronized(await options.runtimeLog(), `${options.idx}-${options.name}`);
  });
  return { process: child, eventsFile, events, stop: async () => void (await stopProcess(child, 'SIGKILL')) };
}
