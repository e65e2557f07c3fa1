import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `files` (name -> contents) into root/dir, creating directories. */
export async function writeCgroupFiles(root: string, dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(root, dir), { recursive: true });
  for (const [name, contents] of Object.entries(files)) await writeFile(join(root, dir, name), contents);
}

/** A v1 mount table: cpu,cpuacct co-mounted as on most distributions, plus a decoy memory mount outside `root`. */
export function fakeMountinfo(root: string): string {
  return [
    '22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw',
    `25 22 0:23 / ${root} ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755`,
    '30 22 0:31 / /run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs/sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    `26 25 0:24 / ${root}/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate`,
    `27 25 0:25 / ${root}/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd`,
    `28 25 0:26 / ${root}/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct`,
    `29 25 0:27 / ${root}/pids rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,pids`,
    `31 25 0:31 / ${root}/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory`,
    `32 25 0:32 / ${root}/blkio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,blkio`,
    '',
  ].join('\n');
}

export const V1_UNLIMITED = '9223372036854771712\n';

export const V1_MEMORY_STAT = `cache 5406720
rss 1892352
rss_huge 0
shmem 0
mapped_file 1351680
dirty 0
writeback 0
swap 0
pgpgin 2934
pgpgout 1152
pgfault 3190
pgmajfault 11
inactive_anon 1757184
active_anon 135168
inactive_file 4055040
active_file 1351680
unevictable 0
hierarchical_memory_limit 268435456
hierarchical_memsw_limit 9223372036854771712
total_cache 5406720
total_rss 2158592
total_rss_huge 0
total_shmem 0
total_mapped_file 1351680
total_dirty 0
total_writeback 0
total_swap 4096
total_pgpgin 3050
total_pgpgout 1200
total_pgfault 3355
total_pgmajfault 12
total_inactive_anon 1757184
total_active_anon 401408
total_inactive_file 4460544
total_active_file 1351680
total_unevictable 0
`;

export const V2_MEMORY_STAT = `anon 1048576
file 4194304
kernel 163840
kernel_stack 32768
pagetables 53248
sec_pagetables 0
percpu 0
sock 0
vmalloc 0
shmem 0
zswap 0
zswapped 0
file_mapped 1228800
file_dirty 0
file_writeback 0
swapcached 0
anon_thp 0
file_thp 0
shmem_thp 0
inactive_anon 1024000
active_anon 24576
inactive_file 3145728
active_file 1048576
unevictable 0
slab_reclaimable 36864
slab_unreclaimable 40960
slab 77824
workingset_refault_anon 0
workingset_refault_file 0
workingset_activate_anon 0
workingset_activate_file 0
workingset_restore_anon 0
workingset_restore_file 0
workingset_nodereclaim 0
pgscan 0
pgsteal 0
pgscan_kswapd 0
pgscan_direct 0
pgsteal_kswapd 0
pgsteal_direct 0
pgfault 2345
pgmajfault 7
pgrefill 0
pgactivate 3
pgdeactivate 0
pglazyfree 0
pglazyfreed 0
thp_fault_alloc 0
thp_collapse_alloc 0
`;

export const V2_CPU_STAT = `usage_usec 123456
user_usec 100000
system_usec 23456
core_sched.force_idle_usec 0
nr_periods 0
nr_throttled 0
throttled_usec 0
nr_bursts 0
burst_usec 0
`;

/** cpuacct.stat in USER_HZ ticks (1/100 s). */
export const V1_CPUACCT_STAT = 'user 250\nsystem 130\n';

export const V1_CPU_STAT = 'nr_periods 1200\nnr_throttled 37\nthrottled_time 2750000000\nnr_bursts 0\nburst_time 0\n';

export const V1_OOM_CONTROL = 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n';

export const V1_BLKIO_BYTES = `8:0 Read 4096
8:0 Write 8192
8:0 Sync 12288
8:0 Async 0
8:0 Discard 0
8:0 Total 12288
253:1 Read 512
253:1 Write 0
253:1 Sync 512
253:1 Async 0
253:1 Discard 0
253:1 Total 512
Total 12800
`;

export const V1_BLKIO_OPS = `8:0 Read 1
8:0 Write 2
8:0 Sync 3
8:0 Async 0
8:0 Discard 0
8:0 Total 3
253:1 Read 1
253:1 Write 0
253:1 Sync 1
253:1 Async 0
253:1 Discard 0
253:1 Total 1
Total 4
`;

/** A container cgroup that has been throttled: quota set, busy. */
export const V2_CPU_STAT_THROTTLED = `usage_usec 3456789
user_usec 3000000
system_usec 456789
core_sched.force_idle_usec 0
nr_periods 900
nr_throttled 45
throttled_usec 1500000
nr_bursts 0
burst_usec 0
`;

export const V2_MEMORY_EVENTS = 'low 0\nhigh 0\nmax 17\noom 3\noom_kill 1\noom_group_kill 0\n';

export const V2_IO_STAT = '8:0 rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0\n253:1 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n';

/**
 * A v1 container cgroup at `path` in every hierarchy the metrics read (cpu,
 * memory, pids, blkio), with processes 41 and 42 and the V1_* samples' figures.
 */
export async function writeV1MetricsCgroup(root: string, path: string, pids: Record<string, string> = { 'pids.current': '3\n' }): Promise<void> {
  const procs = { 'cgroup.procs': '41\n42\n' };
  await writeCgroupFiles(root, `cpu,cpuacct${path}`, { ...procs, 'cpuacct.stat': V1_CPUACCT_STAT, 'cpu.stat': V1_CPU_STAT });
  await writeCgroupFiles(root, `memory${path}`, {
    ...procs,
    'memory.usage_in_bytes': '8888320\n',
    'memory.max_usage_in_bytes': '9999360\n',
    'memory.failcnt': '5\n',
    'memory.kmem.usage_in_bytes': '1228800\n',
    'memory.oom_control': V1_OOM_CONTROL,
    'memory.stat': V1_MEMORY_STAT,
  });
  await writeCgroupFiles(root, `pids${path}`, { ...procs, ...pids });
  await writeCgroupFiles(root, `blkio${path}`, { ...procs, 'blkio.throttle.io_service_bytes_recursive': V1_BLKIO_BYTES, 'blkio.throttle.io_serviced_recursive': V1_BLKIO_OPS });
}
