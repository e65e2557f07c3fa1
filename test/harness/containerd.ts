import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { socketAnswers } from '../../src/server/socket.js';
import { spawnDaemon, stopProcess, waitFor } from './processes.js';

export interface TestContainerd {
  readonly address: string;
  readonly dir: string;
  readonly logPath: string;
  /** The running containerd's pid, -1 when none. */
  readonly pid: number;
  /** Starts it (again) on the same root, state and socket. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: its shims keep running. */
  kill(): Promise<void>;
  log(): Promise<string>;
}

/**
 * A real containerd of the test's own: temporary root, state and socket,
 * its CRI plugin disabled so cri-ts is the only CRI server on it.
 */
export async function createTestContainerd(dir: string): Promise<TestContainerd> {
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const address = join(dir, 'containerd.sock');
  const configPath = join(dir, 'containerd.toml');
  const logPath = join(dir, 'containerd.log');
  await mkdir(root, { recursive: true });
  await mkdir(state, { recursive: true });
  await writeFile(
    configPath,
    [
      'version = 2',
      `root = ${JSON.stringify(root)}`,
      `state = ${JSON.stringify(state)}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `address = ${JSON.stringify(address)}`,
      '[ttrpc]',
      `address = ${JSON.stringify(`${address}.ttrpc`)}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  return {
    address,
    dir,
    logPath,
    get pid() {
      return child?.pid ?? -1;
    },
    async start() {
      child = spawnDaemon('containerd', ['--config', configPath], logPath);
      const started = child;
      await waitFor(`containerd at ${address}`, async () => {
        if (started.exitCode !== null) throw new Error(`containerd exited with ${started.exitCode}; see ${logPath}`);
        return socketAnswers(address);
      });
    },
    async stop() {
      if (child) await stopProcess(child);
      child = undefined;
    },
    async kill() {
      if (child) await stopProcess(child, 'SIGKILL');
      child = undefined;
    },
    log: () => readFile(logPath, 'utf8'),
  };
}
