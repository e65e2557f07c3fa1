import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CgroupLayout } from '../../../src/host/cgroup-layout.js';
import { readCgroupStats } from '../../../src/stats/cgroup-stats.js';
import { countCgroupProcesses } from '../../../src/stats/process-count.js';
import { fakeMountinfo, V1_MEMORY_STAT, V1_UNLIMITED, V2_CPU_STAT, V2_MEMORY_STAT, writeCgroupFiles } from './fake-cgroups.js';

describe('cgroup v1 stats', () => {
  let dir: string;
  let layout: CgroupLayout;
  const path = '/kubepods/burstable/pod123/abc';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-v1stats-'));
    await writeFile(join(dir, 'mountinfo'), fakeMountinfo(dir));
    layout = await CgroupLayout.detect({ root: dir, mountinfoPath: join(dir, 'mountinfo') });
    await writeCgroupFiles(dir, `cpu,cpuacct${path}`, { 'cpuacct.usage': '987654321\n', 'cpu.shares': '102\n', 'cgroup.procs': '41\n42\n' });
    await writeCgroupFiles(dir, `memory${path}`, {
      'memory.usage_in_bytes': '8888320\n',
      'memory.stat': V1_MEMORY_STAT,
      'memory.limit_in_bytes': '268435456\n',
      'memory.memsw.usage_in_bytes': '8892416\n',
      'cgroup.procs': '41\n42\n',
    });
    await writeCgroupFiles(dir, `pids${path}`, { 'pids.current': '3\n', 'pids.max': '1024\n', 'cgroup.procs': '41\n42\n' });
    // Unlimited, no swap accounting, no pids controller files: the optional fields stay absent.
    await writeCgroupFiles(dir, 'memory/besteffort', {
      'memory.usage_in_bytes': '1000\n',
      'memory.stat': 'total_inactive_file 4000\ntotal_rss 500\ntotal_pgfault 9\ntotal_pgmajfault 0\n',
      'memory.limit_in_bytes': V1_UNLIMITED,
      'cgroup.procs': '7\n',
    });
    await writeCgroupFiles(dir, 'pids/besteffort', { 'pids.max': 'max\n', 'cgroup.procs': '7\n' });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads cpu, memory (total_* keys) and pids of a limited cgroup', async () => {
    const stats = await readCgroupStats(layout, path);
    assert.ok(stats);
    assert.equal(typeof stats.timestampNs, 'bigint');
    assert.ok(stats.timestampNs > BigInt(Date.now() - 60_000) * 1_000_000n);
    assert.deepEqual(stats.cpu, { usageCoreNanoSeconds: 987654321n });
    assert.deepEqual(stats.memory, {
      usageBytes: 8888320,
      workingSetBytes: 8888320 - 4460544,
      rssBytes: 2158592,
      pageFaults: 3355,
      majorPageFaults: 12,
      limitBytes: 268435456,
      availableBytes: 268435456 - (8888320 - 4460544),
      swapUsageBytes: 4096,
    });
    assert.deepEqual(stats.pids, { current: 3, limit: 1024 });
  });

  it('treats the page-rounded 2^63 limit and "max" as unlimited and floors the working set at 0', async () => {
    const stats = await readCgroupStats(layout, '/besteffort');
    assert.ok(stats);
    assert.equal(stats.cpu.usageCoreNanoSeconds, 0n);
    assert.deepEqual(stats.memory, { usageBytes: 1000, workingSetBytes: 0, rssBytes: 500, pageFaults: 9, majorPageFaults: 0 });
    // No pids.current: counted from cgroup.procs.
    assert.deepEqual(stats.pids, { current: 1 });
  });

  it('returns undefined for a cgroup that does not exist', async () => {
    assert.equal(await readCgroupStats(layout, '/kubepods/gone'), undefined);
    assert.equal(await countCgroupProcesses(layout, '/kubepods/gone'), undefined);
  });

  it('counts processes from pids.current, else cgroup.procs', async () => {
    assert.equal(await countCgroupProcesses(layout, path), 3);
    assert.equal(await countCgroupProcesses(layout, '/besteffort'), 1);
  });
});

describe('cgroup v2 stats', () => {
  let root: string;
  let layout: CgroupLayout;
  const systemdPath = 'kubepods-burstable-pod1.slice:cri-containerd:abc';
  const systemdDir = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cri-ts-v2stats-'));
    await writeCgroupFiles(root, '', { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n' });
    layout = await CgroupLayout.detect({ root });
    await writeCgroupFiles(root, systemdDir, {
      'cpu.stat': V2_CPU_STAT,
      'memory.current': '5337088\n',
      'memory.stat': V2_MEMORY_STAT,
      'memory.max': '134217728\n',
      'memory.swap.current': '8192\n',
      'pids.current': '2\n',
      'pids.max': '4096\n',
      'cgroup.procs': '100\n',
    });
    await writeCgroupFiles(root, 'kubepods/besteffort/pod2/c2', {
      'cpu.stat': 'usage_usec 5\nuser_usec 5\nsystem_usec 0\n',
      'memory.current': '4096\n',
      'memory.stat': 'anon 0\ninactive_file 0\npgfault 1\npgmajfault 0\n',
      'memory.max': 'max\n',
      'memory.swap.current': '0\n',
      'pids.current': '1\n',
      'pids.max': 'max\n',
      'cgroup.procs': '200\n',
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads a systemd-driver cgroup: usage_usec in ns, anon as rss, memory.max and swap', async () => {
    const stats = await readCgroupStats(layout, systemdPath);
    assert.ok(stats);
    assert.deepEqual(stats.cpu, { usageCoreNanoSeconds: 123456000n });
    assert.deepEqual(stats.memory, {
      usageBytes: 5337088,
      workingSetBytes: 5337088 - 3145728,
      rssBytes: 1048576,
      pageFaults: 2345,
      majorPageFaults: 7,
      limitBytes: 134217728,
      availableBytes: 134217728 - (5337088 - 3145728),
      swapUsageBytes: 8192,
    });
    assert.deepEqual(stats.pids, { current: 2, limit: 4096 });
  });

  it('reads an unlimited cgroupfs-driver cgroup', async () => {
    const stats = await readCgroupStats(layout, '/kubepods/besteffort/pod2/c2');
    assert.ok(stats);
    assert.equal(stats.cpu.usageCoreNanoSeconds, 5000n);
    assert.deepEqual(stats.memory, { usageBytes: 4096, workingSetBytes: 4096, rssBytes: 0, pageFaults: 1, majorPageFaults: 0, swapUsageBytes: 0 });
    assert.deepEqual(stats.pids, { current: 1 });
  });

  it('returns undefined for a cgroup that does not exist', async () => {
    assert.equal(await readCgroupStats(layout, 'kubepods.slice:cri-containerd:gone'), undefined);
  });
});
