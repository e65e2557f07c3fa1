import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CgroupLayout } from '../../../src/host/cgroup-layout.js';
import { parseBlkio, parseIoStat, readCgroupUsage } from '../../../src/stats/cgroup-usage.js';
import {
  fakeMountinfo,
  V2_CPU_STAT_THROTTLED,
  V2_IO_STAT,
  V2_MEMORY_EVENTS,
  V2_MEMORY_STAT,
  writeCgroupFiles,
  writeV1MetricsCgroup,
} from './fake-cgroups.js';

const PATH = '/kubepods/burstable/pod123/abc';

describe('cgroup figures for metrics, v1', () => {
  let dir: string;
  let layout: CgroupLayout;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-v1usage-'));
    await writeFile(join(dir, 'mountinfo'), fakeMountinfo(dir));
    layout = await CgroupLayout.detect({ root: dir, mountinfoPath: join(dir, 'mountinfo') });
    await writeV1MetricsCgroup(dir, PATH, { 'pids.current': '3\n', 'pids.max': 'max\n' });
    // An old kernel's memory cgroup: no kmem, no oom_kill line, no pids or blkio hierarchy files.
    await writeCgroupFiles(dir, 'memory/old', {
      'cgroup.procs': '',
      'memory.usage_in_bytes': '1000\n',
      'memory.stat': 'total_inactive_file 4000\ntotal_rss 500\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\n',
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads cpu, throttling, memory (total_* for the hierarchy), oom kills, threads, processes and block IO', async () => {
    const usage = await readCgroupUsage(layout.dirsFor(PATH));
    assert.ok(usage);
    assert.equal(typeof usage.timestampNs, 'bigint');
    assert.deepEqual(usage.cpu, {
      // user + system ticks, 10 ms each
      usageNs: 3_800_000_000n,
      userNs: 2_500_000_000n,
      systemNs: 1_300_000_000n,
      periods: 1200n,
      throttledPeriods: 37n,
      throttledNs: 2_750_000_000n,
    });
    assert.deepEqual(usage.memory, {
      usage: 8888320n,
      maxUsage: 9999360n,
      workingSet: 8888320n - 4460544n,
      cache: 5406720n,
      rss: 2158592n,
      mappedFile: 1351680n,
      swap: 4096n,
      kernel: 1228800n,
      failcnt: 5n,
      activeFile: 1351680n,
      inactiveFile: 4460544n,
      pageFaults: { container: 3190n, hierarchy: 3355n },
      majorPageFaults: { container: 11n, hierarchy: 12n },
      oomKills: 2n,
    });
    assert.equal(usage.threads, 3n);
    assert.deepEqual(usage.processIds, [41, 42]);
    assert.deepEqual(
      usage.io.map((d) => [d.major, d.minor, Object.fromEntries(d.bytes), Object.fromEntries(d.operations)]),
      [
        [8, 0, { Read: 4096n, Write: 8192n, Sync: 12288n, Async: 0n, Discard: 0n, Total: 12288n }, { Read: 1n, Write: 2n, Sync: 3n, Async: 0n, Discard: 0n, Total: 3n }],
        [253, 1, { Read: 512n, Write: 0n, Sync: 512n, Async: 0n, Discard: 0n, Total: 512n }, { Read: 1n, Write: 0n, Sync: 1n, Async: 0n, Discard: 0n, Total: 1n }],
      ],
    );
  });

  it('leaves out what an older kernel has no file or line for', async () => {
    const usage = await readCgroupUsage(layout.dirsFor('/old'));
    assert.ok(usage);
    assert.equal(usage.memory.kernel, undefined);
    assert.equal(usage.memory.maxUsage, undefined);
    assert.equal(usage.memory.failcnt, undefined);
    assert.equal(usage.memory.oomKills, undefined);
    assert.equal(usage.memory.workingSet, 0n);
    assert.equal(usage.memory.swap, 0n);
    assert.equal(usage.threads, undefined);
    assert.deepEqual(usage.processIds, []);
    assert.deepEqual(usage.io, []);
  });

  it('answers undefined for a cgroup that does not exist', async () => {
    assert.equal(await readCgroupUsage(layout.dirsFor('/kubepods/gone')), undefined);
  });
});

describe('cgroup figures for metrics, v2', () => {
  let root: string;
  let layout: CgroupLayout;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cri-ts-v2usage-'));
    await writeCgroupFiles(root, '', { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n' });
    layout = await CgroupLayout.detect({ root, mountinfoPath: join(root, 'missing') });
    await writeCgroupFiles(root, PATH, {
      'cgroup.procs': '77\n',
      'cpu.stat': V2_CPU_STAT_THROTTLED,
      'memory.current': '6291456\n',
      'memory.peak': '7340032\n',
      'memory.stat': V2_MEMORY_STAT,
      'memory.events': V2_MEMORY_EVENTS,
      'memory.swap.current': '8192\n',
      'pids.current': '5\n',
      'pids.max': '1024\n',
      'io.stat': V2_IO_STAT,
    });
    // Before 5.19 (no memory.peak), 5.18 (no "kernel" in memory.stat); no swap accounting.
    await writeCgroupFiles(root, '/old', {
      'cgroup.procs': '',
      'cpu.stat': 'usage_usec 10\nuser_usec 6\nsystem_usec 4\n',
      'memory.current': '100\n',
      'memory.stat': 'anon 10\nfile 20\nkernel_stack 4\npagetables 8\nslab 16\ninactive_file 30\n',
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads cpu.stat, memory.* files, memory.events (failcnt from "max"), pids.current and io.stat', async () => {
    const usage = await readCgroupUsage(layout.dirsFor(PATH));
    assert.ok(usage);
    assert.deepEqual(usage.cpu, {
      usageNs: 3_456_789_000n,
      userNs: 3_000_000_000n,
      systemNs: 456_789_000n,
      periods: 900n,
      throttledPeriods: 45n,
      throttledNs: 1_500_000_000n,
    });
    assert.deepEqual(usage.memory, {
      usage: 6291456n,
      maxUsage: 7340032n,
      workingSet: 6291456n - 3145728n,
      cache: 4194304n,
      rss: 1048576n,
      mappedFile: 1228800n,
      swap: 8192n,
      kernel: 163840n,
      failcnt: 17n,
      activeFile: 1048576n,
      inactiveFile: 3145728n,
      // v2's memory.stat is hierarchical: both scopes read the same
      pageFaults: { container: 2345n, hierarchy: 2345n },
      majorPageFaults: { container: 7n, hierarchy: 7n },
      oomKills: 1n,
    });
    assert.equal(usage.threads, 5n);
    assert.deepEqual(usage.processIds, [77]);
    assert.deepEqual(
      usage.io.map((d) => [d.major, d.minor, Object.fromEntries(d.bytes), Object.fromEntries(d.operations)]),
      [
        [8, 0, { Read: 1048576n, Write: 2097152n }, { Read: 16n, Write: 32n }],
        [253, 1, { Read: 4096n, Write: 0n }, { Read: 1n, Write: 0n }],
      ],
    );
  });

  it('sums the kernel parts where memory.stat has no "kernel" line, and leaves out missing files', async () => {
    const usage = await readCgroupUsage(layout.dirsFor('/old'));
    assert.ok(usage);
    assert.equal(usage.memory.kernel, 28n);
    assert.equal(usage.memory.maxUsage, undefined);
    assert.equal(usage.memory.failcnt, undefined);
    assert.equal(usage.memory.oomKills, undefined);
    assert.equal(usage.memory.swap, 0n);
    assert.equal(usage.memory.workingSet, 70n);
    assert.equal(usage.threads, undefined);
  });

  it('answers undefined for a cgroup that does not exist', async () => {
    assert.equal(await readCgroupUsage(layout.dirsFor('/gone')), undefined);
  });
});

describe('block IO parsing', () => {
  it('skips malformed v2 lines and unknown keys', () => {
    const io = parseIoStat('garbage\n8:0 rbytes=5 cost.usage=9 wios=x\n\n');
    assert.deepEqual(io.map((d) => [d.major, d.minor, Object.fromEntries(d.bytes), Object.fromEntries(d.operations)]), [[8, 0, { Read: 5n }, {}]]);
    assert.deepEqual(parseIoStat(undefined), []);
  });

  it('ignores v1 lines without a device, such as the closing Total', () => {
    const io = parseBlkio('8:16 Read 10\nTotal 10\n', undefined);
    assert.deepEqual(io.map((d) => [d.major, d.minor, Object.fromEntries(d.bytes)]), [[8, 16, { Read: 10n }]]);
  });
});
