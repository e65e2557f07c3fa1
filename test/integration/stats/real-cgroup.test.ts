import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostCgroupLayout, type CgroupDirs, type CgroupLayout } from '../../../src/host/cgroup-layout.js';
import { readCgroupStats } from '../../../src/stats/cgroup-stats.js';
import { readNetworkStats } from '../../../src/stats/network-stats.js';
import { countCgroupProcesses } from '../../../src/stats/process-count.js';
import { stopProcess } from '../../harness/processes.js';

const cgroupsPath = `/cri-ts-statstest-${process.pid}`;
const MEMORY_LIMIT = 256 * 1024 * 1024;
const PIDS_LIMIT = 64;
const notRoot = process.getuid?.() !== 0 ? 'creating cgroups needs root' : false;

function distinctDirs(dirs: CgroupDirs): string[] {
  return dirs.version === 2 ? [dirs.unified] : [...new Set(Object.values(dirs.dirs))];
}

/** rmdir, retrying while the kernel still counts the just-killed task (EBUSY). */
async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 40) throw err;
      await sleep(50);
    }
  }
}

describe('stats of a real cgroup on this host', { skip: notRoot }, () => {
  let layout: CgroupLayout;
  let dirs: CgroupDirs;
  const created: string[] = [];
  let child: ChildProcess | undefined;

  before(async () => {
    layout = await hostCgroupLayout();
    dirs = layout.dirsFor(cgroupsPath);
    for (const dir of distinctDirs(dirs)) {
      await mkdir(dir);
      created.push(dir);
    }
  });

  after(async () => {
    if (child) await stopProcess(child, 'SIGKILL');
    for (const dir of created.reverse()) await removeCgroup(dir);
  });

  it('reads cpu, memory and pids of a busy process moved into it', async () => {
    const memoryDir = dirs.version === 2 ? dirs.unified : dirs.dirs.memory;
    const pidsDir = dirs.version === 2 ? dirs.unified : dirs.dirs.pids;
    assert.ok(memoryDir && pidsDir, `memory and pids controllers available: ${JSON.stringify(dirs)}`);
    await writeFile(join(memoryDir, dirs.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'), String(MEMORY_LIMIT));
    await writeFile(join(pidsDir, 'pids.max'), String(PIDS_LIMIT));

    // Waits on stdin until moved, then execs so its fresh pages are charged to the new memory cgroup.
    child = spawn('sh', ['-c', 'read go; exec sh -c "while :; do :; done"'], { stdio: ['pipe', 'ignore', 'ignore'] });
    assert.ok(child.pid);
    for (const dir of distinctDirs(dirs)) await writeFile(join(dir, 'cgroup.procs'), String(child.pid));
    child.stdin?.end('go\n');
    await sleep(300);

    const stats = await readCgroupStats(layout, cgroupsPath);
    assert.ok(stats, 'cgroup found');
    assert.ok(stats.cpu.usageCoreNanoSeconds > 50_000_000n, `cpu usage ${stats.cpu.usageCoreNanoSeconds} ns after ~300 ms busy`);
    assert.ok(stats.memory.usageBytes > 0, `memory usage ${stats.memory.usageBytes}`);
    assert.ok(stats.memory.workingSetBytes > 0 && stats.memory.workingSetBytes <= stats.memory.usageBytes);
    assert.equal(stats.memory.limitBytes, MEMORY_LIMIT);
    assert.equal(stats.memory.availableBytes, MEMORY_LIMIT - stats.memory.workingSetBytes);
    assert.ok(stats.pids.current >= 1, `pids.current ${stats.pids.current}`);
    assert.equal(stats.pids.limit, PIDS_LIMIT);
    assert.ok((await countCgroupProcesses(layout, cgroupsPath) ?? 0) >= 1);
  });

  it('reports undefined once the cgroup is removed', async () => {
    if (child) await stopProcess(child, 'SIGKILL');
    const afterExit = await readCgroupStats(layout, cgroupsPath);
    assert.ok(afterExit && afterExit.cpu.usageCoreNanoSeconds > 0n, 'cpu usage outlives the process');
    for (const dir of [...created].reverse()) await removeCgroup(dir);
    assert.equal(await readCgroupStats(layout, cgroupsPath), undefined);
  });
});

describe('network stats of this process', () => {
  it('parses its namespace, loopback excluded', async () => {
    const stats = await readNetworkStats(process.pid);
    assert.ok(stats);
    assert.ok(Array.isArray(stats.interfaces));
    for (const i of stats.interfaces) {
      assert.notEqual(i.name, 'lo');
      for (const n of [i.rxBytes, i.rxErrors, i.txBytes, i.txErrors]) assert.ok(Number.isSafeInteger(n) && n >= 0);
    }
    if (stats.defaultInterface) assert.ok(stats.interfaces.includes(stats.defaultInterface));
  });
});
