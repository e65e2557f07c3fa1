import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socketAnswers } from '../../src/server/socket.js';
import { CRI_TS_NODE_ENV, CRI_TS_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { spawnDaemon, stopProcess, waitFor } from './processes.js';

/** The command as it ships: the bundle `npm run build` makes (scripts/bundle.mjs). */
export const cliPath = fileURLToPath(new URL('../../bin/cri-ts.mjs', import.meta.url));

export interface TestCriTs {
  readonly socket: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly pid: number;
  start(): Promise<void>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash: nothing of its shutdown runs. */
  kill(): Promise<void>;
  log(): Promise<string>;
}

export interface CriTsOptions {
  containerdAddress: string;
  /** Extra TOML appended to the generated config (top-level keys first, then tables). */
  extraToml?: string;
  /** Top-level keys placed before any table. */
  topLevelToml?: string;
  /** More keys of the [containerd] table, e.g. default_runtime_name. */
  containerdToml?: string;
  managed?: boolean;
  /** cri-ts's log_level; "debug" (every RPC logged) unless given. */
  logLevel?: string;
  /** The CRI socket, relative to the test directory; cri-ts.sock unless given. */
  socketName?: string;
  /** More environment for the cri-ts process. */
  env?: Record<string, string>;
}

/** The config the harness gives cri-ts: everything under the test's own directory. */
export function testConfigToml(dir: string, options: CriTsOptions): string {
  const q = JSON.stringify;
  return [
    `root = ${q(join(dir, 'cri-ts-root'))}`,
    `state = ${q(join(dir, 'cri-ts-state'))}`,
    `log_level = ${q(options.logLevel ?? 'debug')}`,
    options.topLevelToml ?? '',
    '[grpc]',
    `address = ${q(join(dir, options.socketName ?? 'cri-ts.sock'))}`,
    '[containerd]',
    `address = ${q(options.containerdAddress)}`,
    'timeout = "10s"',
    options.containerdToml ?? '',
    '[containerd.managed]',
    `enabled = ${options.managed ?? false}`,
    `address = ${q(join(dir, 'managed', 'containerd.sock'))}`,
    `root = ${q(join(dir, 'managed', 'root'))}`,
    `state = ${q(join(dir, 'managed', 'state'))}`,
    '[cni]',
    `conf_dir = ${q(join(dir, 'cni-conf'))}`,
    options.extraToml ?? '',
    '',
  ].join('\n');
}

/** Runs the built cri-ts CLI as a daemon, the way an operator would. */
export async function createTestCriTs(dir: string, options: CriTsOptions): Promise<TestCriTs> {
  const configPath = join(dir, 'cri-ts.toml');
  const logPath = join(dir, 'cri-ts.log');
  const socket = join(dir, options.socketName ?? 'cri-ts.sock');
  await mkdir(join(dir, 'cni-conf'), { recursive: true });
  await writeFile(configPath, testConfigToml(dir, options));
  let child: ChildProcess | undefined;
  return {
    socket,
    configPath,
    logPath,
    get pid() {
      return child?.pid ?? -1;
    },
    async start() {
      child = spawnDaemon(process.execPath, [...CRI_TS_NODE_FLAGS, cliPath, 'serve', '--config', configPath], logPath, { ...process.env, ...CRI_TS_NODE_ENV, ...options.env });
      const started = child;
      await waitFor(`cri-ts at ${socket}`, async () => {
        if (started.exitCode !== null) throw new Error(`cri-ts exited with ${started.exitCode}; see ${logPath}`);
        return socketAnswers(socket);
      }, 40_000);
    },
    async stop() {
      const code = child ? await stopProcess(child) : null;
      child = undefined;
      return code;
    },
    async kill() {
      if (child) await stopProcess(child, 'SIGKILL');
      child = undefined;
    },
    log: () => readFile(logPath, 'utf8'),
  };
}
