/**
 * The two runtimes the side-by-side benchmark compares, as processes it can
 * kill -9 and start again: cri-ts (started here) and containerd with its own
 * CRI (started by containerd-cri.sh, restarted here on the same config).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CRI_TS_NODE_ENV, CRI_TS_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { cliPath } from '../harness/cri-ts.js';
import { isAlive, spawnDaemon, stopProcess } from '../harness/processes.js';

export interface BenchDaemon {
  readonly name: 'containerd' | 'cri-ts';
  readonly socket: string;
  /** The daemon's pid now (it changes on restart). */
  pid(): number;
  /** SIGKILL, and wait until it is gone. */
  kill9(): Promise<void>;
  /** Starts it again, without waiting for it to answer. */
  restart(): void;
}

async function waitGone(pid: number): Promise<void> {
  while (isAlive(pid)) await sleep(2);
}

/** cri-ts from this checkout's build, node flags from CRI_TS_NODE_FLAGS (e.g. --cpu-prof). */
export class CriTsDaemon implements BenchDaemon {
  readonly name = 'cri-ts';
  private child: ChildProcess | undefined;

  constructor(
    private readonly configPath: string,
    readonly socket: string,
    private readonly logPath: string,
    private readonly nodeFlags: string[],
  ) {}

  pid(): number {
    return this.child?.pid ?? -1;
  }

  restart(): void {
    this.child = spawnDaemon(process.execPath, [...CRI_TS_NODE_FLAGS, ...this.nodeFlags, cliPath, 'serve', '--config', this.configPath], this.logPath, { ...process.env, ...CRI_TS_NODE_ENV });
  }

  async kill9(): Promise<void> {
    const pid = this.pid();
    this.child?.kill('SIGKILL');
    await waitGone(pid);
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child);
    this.child = undefined;
  }
}

/** containerd in a containerd-cri.sh WORKDIR (config.toml, containerd.pid, containerd.sock). */
export class ContainerdCriDaemon implements BenchDaemon {
  readonly name = 'containerd';
  readonly socket: string;
  private current = -1;

  constructor(private readonly workDir: string) {
    this.socket = join(workDir, 'containerd.sock');
  }

  async load(): Promise<void> {
    this.current = Number((await readFile(join(this.workDir, 'containerd.pid'), 'utf8')).trim());
    if (!isAlive(this.current)) throw new Error(`containerd of ${this.workDir} (pid ${this.current}) is not running; start it with containerd-cri.sh`);
  }

  pid(): number {
    return this.current;
  }

  async kill9(): Promise<void> {
    process.kill(this.current, 'SIGKILL');
    await waitGone(this.current);
  }

  restart(): void {
    // As containerd-cri.sh starts it: its own session, so that it outlives this process like a node's containerd.
    const log = openSync(join(this.workDir, 'containerd.log'), 'a');
    const child = spawn('containerd', ['--config', join(this.workDir, 'config.toml')], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    this.current = child.pid ?? -1;
    void writeFile(join(this.workDir, 'containerd.pid'), `${this.current}\n`);
  }
}
