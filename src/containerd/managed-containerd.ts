import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagedContainerdConfig } from '../config/config.js';
import type { Logger } from '../log.js';

const RESTART_DELAY_MS = 1000;
const STOP_GRACE_MS = 10_000;

/** containerd's own config for the instance cri-ts runs: own root, state, socket; no CRI plugin. */
export function managedContainerdConfigToml(managed: ManagedContainerdConfig): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    '# Written by cri-ts for the containerd it manages; regenerated at every start.',
    'version = 2',
    `root = ${q(managed.root)}`,
    `state = ${q(managed.state)}`,
    // cri-ts serves CRI itself; containerd's built-in CRI plugin would compete for the same pods.
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '',
    '[grpc]',
    `address = ${q(managed.address)}`,
    '',
    '[ttrpc]',
    `address = ${q(`${managed.address}.ttrpc`)}`,
    '',
    '[debug]',
    `level = ${q(managed.logLevel)}`,
    '',
  ].join('\n');
}

/**
 * Runs containerd as a child process, restarts it when it dies, and stops
 * only containerd itself on shutdown: shims run in their own process groups,
 * so running containers survive a cri-ts restart.
 */
export class ManagedContainerd {
  private child: ChildProcess | undefined;
  private stopping = false;
  readonly configPath: string;
  readonly logPath: string;

  constructor(
    private readonly managed: ManagedContainerdConfig,
    private readonly log: Logger,
    private readonly isAnswering: () => Promise<boolean>,
  ) {
    this.configPath = join(managed.state, 'cri-ts-containerd.toml');
    this.logPath = join(managed.state, 'containerd.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(readyTimeoutMs = 30_000): Promise<void> {
    await mkdir(this.managed.root, { recursive: true, mode: 0o711 });
    await mkdir(this.managed.state, { recursive: true, mode: 0o711 });
    await mkdir(dirname(this.managed.address), { recursive: true, mode: 0o711 });
    await writeFile(this.configPath, managedContainerdConfigToml(this.managed));
    await this.spawnOnce();
    await this.waitUntilAnswering(readyTimeoutMs);
  }

  private async spawnOnce(): Promise<void> {
    const logFile = await open(this.logPath, 'a');
    // Detached: a Ctrl-C aimed at cri-ts's terminal must not reach containerd directly.
    const child = spawn(this.managed.binary, ['--config', this.configPath], {
      detached: true,
      stdio: ['ignore', logFile.fd, logFile.fd],
    });
    await logFile.close();
    this.child = child;
    child.once('error', (err) => this.log.error({ err, binary: this.managed.binary }, 'cannot run containerd'));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      this.log.error({ code, signal, log: this.logPath }, 'managed containerd exited; restarting it');
      void sleep(RESTART_DELAY_MS).then(() => {
        if (!this.stopping) return this.spawnOnce();
      }).catch((err: unknown) => this.log.error({ err }, 'restarting containerd failed'));
    });
    this.log.info({ pid: child.pid, address: this.managed.address, log: this.logPath }, 'started managed containerd');
  }

  private async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await this.isAnswering()) return;
      if (!this.child) break;
      await sleep(100);
    }
    throw new Error(`managed containerd did not answer at ${this.managed.address} within ${timeoutMs} ms; see ${this.logPath}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
    if (timedOut) {
      this.log.warn({ pid: child.pid }, 'containerd ignored SIGTERM; killing it');
      child.kill('SIGKILL');
      await exited;
    }
    this.log.info({ pid: child.pid }, 'stopped managed containerd');
  }
}
