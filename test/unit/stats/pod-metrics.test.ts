import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CgroupLayout } from '../../../src/host/cgroup-layout.js';
import { type CgroupUsage, readCgroupUsage } from '../../../src/stats/cgroup-usage.js';
import { BASE_LABEL_KEYS, FAMILIES, METRIC_FAMILIES } from '../../../src/stats/metric-families.js';
import { parseNetDev } from '../../../src/stats/network-stats.js';
import { buildPodMetrics, type ContainerFigures, type MetricSample, type PodFigures, type PodMetricSet } from '../../../src/stats/pod-metrics.js';
import {
  fakeMountinfo,
  V2_CPU_STAT_THROTTLED,
  V2_IO_STAT,
  V2_MEMORY_EVENTS,
  V2_MEMORY_STAT,
  writeCgroupFiles,
  writeV1MetricsCgroup,
} from './fake-cgroups.js';

// critest v1.37.0 (pkg/validate/pod.go): the names its two [Conformance] metrics specs check.
const CRITEST_EXPECTED = [
  'container_blkio_device_usage_total', 'container_cpu_cfs_periods_total', 'container_cpu_cfs_throttled_periods_total',
  'container_cpu_cfs_throttled_seconds_total', 'container_cpu_system_seconds_total', 'container_cpu_usage_seconds_total',
  'container_cpu_user_seconds_total', 'container_file_descriptors', 'container_fs_inodes_free', 'container_fs_inodes_total',
  'container_fs_limit_bytes', 'container_fs_reads_bytes_total', 'container_fs_reads_total', 'container_fs_usage_bytes',
  'container_fs_writes_bytes_total', 'container_fs_writes_total', 'container_hugetlb_max_usage_bytes', 'container_hugetlb_usage_bytes',
  'container_last_seen', 'container_memory_cache', 'container_memory_failcnt', 'container_memory_failures_total',
  'container_memory_kernel_usage', 'container_memory_mapped_file', 'container_memory_max_usage_bytes', 'container_memory_rss',
  'container_memory_swap', 'container_memory_usage_bytes', 'container_memory_working_set_bytes', 'container_network_receive_bytes_total',
  'container_network_receive_errors_total', 'container_network_receive_packets_dropped_total', 'container_network_receive_packets_total',
  'container_network_transmit_bytes_total', 'container_network_transmit_errors_total', 'container_network_transmit_packets_dropped_total',
  'container_network_transmit_packets_total', 'container_oom_events_total', 'container_pressure_cpu_stalled_seconds_total',
  'container_pressure_cpu_waiting_seconds_total', 'container_pressure_io_stalled_seconds_total', 'container_pressure_io_waiting_seconds_total',
  'container_pressure_memory_stalled_seconds_total', 'container_pressure_memory_waiting_seconds_total', 'container_processes',
  'container_sockets', 'container_spec_cpu_period', 'container_spec_cpu_quota', 'container_spec_cpu_shares', 'container_spec_memory_limit_bytes',
  'container_spec_memory_reservation_limit_bytes', 'container_spec_memory_swap_limit_bytes', 'container_start_time_seconds',
  'container_threads', 'container_threads_max', 'container_ulimits_soft',
];
const CRITEST_UNIMPLEMENTED = new Set([
  'container_hugetlb_max_usage_bytes', 'container_hugetlb_usage_bytes', 'container_pressure_cpu_stalled_seconds_total',
  'container_pressure_cpu_waiting_seconds_total', 'container_pressure_io_stalled_seconds_total', 'container_pressure_io_waiting_seconds_total',
  'container_pressure_memory_stalled_seconds_total', 'container_pressure_memory_waiting_seconds_total', 'container_spec_cpu_quota',
  'container_spec_memory_reservation_limit_bytes', 'container_ulimits_soft',
]);
const CRITEST_OPTIONAL = new Set([
  'container_blkio_device_usage_total', 'container_fs_reads_bytes_total', 'container_fs_reads_total', 'container_fs_writes_bytes_total', 'container_fs_writes_total',
]);

// cadvisor's CounterValue families among these (metrics/prometheus.go); the rest are gauges.
const CADVISOR_COUNTERS = new Set([
  'container_cpu_usage_seconds_total', 'container_cpu_user_seconds_total', 'container_cpu_system_seconds_total',
  'container_cpu_cfs_periods_total', 'container_cpu_cfs_throttled_periods_total', 'container_cpu_cfs_throttled_seconds_total',
  'container_memory_failcnt', 'container_memory_failures_total', 'container_oom_events_total',
  'container_fs_reads_bytes_total', 'container_fs_reads_total', 'container_fs_writes_bytes_total', 'container_fs_writes_total',
  'container_blkio_device_usage_total',
  'container_network_receive_bytes_total', 'container_network_receive_packets_total', 'container_network_receive_packets_dropped_total',
  'container_network_receive_errors_total', 'container_network_transmit_bytes_total', 'container_network_transmit_packets_total',
  'container_network_transmit_packets_dropped_total', 'container_network_transmit_errors_total',
]);

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   16512     192    0    0    0     0          0         0    16512     192    0    0    0     0       0          0
  eth0:  210755   1013    3    7    0     0          0         0   94165     899    5    2    0     0       0          0
  net1:    1234      5    0    0    0     0          0         0    4321       6    1    0    0     0       0          0
`;
const CGROUP = '/kubepods/burstable/pod123/abc';
const LAYER_AT = 1_733_000_000_000_000_000n;

function podFigures(usage: CgroupUsage): PodFigures {
  const container: ContainerFigures = {
    containerId: 'abc',
    name: 'app',
    image: 'registry.example/app:1',
    cgroupPath: CGROUP,
    startedAtNs: 1_733_000_123_900_000_000n,
    usage,
    openFiles: { fileDescriptors: 7, sockets: 2 },
    ulimits: new Map([['max_open_files', 1024n]]),
    resources: { cpuPeriod: 100000, cpuQuota: 20000, cpuShares: 1024, memoryLimit: 67108864, memorySwapLimit: 67108864 },
    writableLayer: { usedBytes: 8192, timestampNs: LAYER_AT },
    filesystem: { device: '/dev/vda1', capacityBytes: 10_000_000_000n, inodes: 655360n, inodesFree: 600000n },
  };
  return {
    podId: 'pod-id',
    podName: 'web-0',
    namespace: 'default',
    sandboxCgroupPath: '/kubepods/burstable/pod123/pod-id',
    sandboxImage: 'registry.k8s.io/pause:3.10',
    network: { timestampNs: 1n, interfaces: parseNetDev(NET_DEV) },
    containers: [container],
    deviceNames: new Map([['8:0', '/dev/sda']]),
  };
}

const allSamples = (set: PodMetricSet): MetricSample[] => [...set.metrics, ...set.containers.flatMap((c) => c.metrics)];
const labelValues = (s: MetricSample): string[] => [...s.base, ...s.extra];
const find = (samples: MetricSample[], name: string, ...extra: string[]): MetricSample | undefined =>
  samples.find((s) => s.family.name === name && extra.every((v, i) => s.extra[i] === v));

describe('metric families (ListMetricDescriptors)', () => {
  it("lists every name critest expects but those it counts as not implemented yet, each with help and label keys", () => {
    const names = new Set(METRIC_FAMILIES.map((f) => f.name));
    const missing = CRITEST_EXPECTED.filter((n) => !CRITEST_UNIMPLEMENTED.has(n) && !names.has(n));
    assert.deepEqual(missing, []);
    for (const f of METRIC_FAMILIES) {
      assert.ok(f.help.length > 0, f.name);
      assert.ok(f.labelKeys.length > 0, f.name);
    }
  });

  it("names each family once, with cadvisor's type and valid, distinct label names: the base ones, then its own", () => {
    assert.equal(new Set(METRIC_FAMILIES.map((f) => f.name)).size, METRIC_FAMILIES.length);
    for (const f of METRIC_FAMILIES) {
      assert.match(f.name, /^container_[a-z_]+$/);
      assert.deepEqual(f.labelKeys, [...BASE_LABEL_KEYS, ...f.extraLabelKeys]);
      assert.equal(new Set(f.labelKeys).size, f.labelKeys.length, f.name);
      for (const key of f.labelKeys) assert.match(key, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
      assert.equal(f.type, CADVISOR_COUNTERS.has(f.name) ? 'counter' : 'gauge', f.name);
    }
    assert.deepEqual([...BASE_LABEL_KEYS], ['container', 'id', 'image', 'name', 'namespace', 'pod']);
  });
});

for (const version of [1, 2] as const) {
  describe(`a pod's metrics from cgroup v${version} figures (ListPodSandboxMetrics)`, () => {
    let root: string;
    let set: PodMetricSet;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), `cri-ts-podmetrics-v${version}-`));
      let layout: CgroupLayout;
      if (version === 1) {
        await writeFile(join(root, 'mountinfo'), fakeMountinfo(root));
        layout = await CgroupLayout.detect({ root, mountinfoPath: join(root, 'mountinfo') });
        await writeV1MetricsCgroup(root, CGROUP);
      } else {
        await writeCgroupFiles(root, '', { 'cgroup.controllers': 'cpu io memory pids\n' });
        layout = await CgroupLayout.detect({ root, mountinfoPath: join(root, 'missing') });
        await writeCgroupFiles(root, CGROUP, {
          'cgroup.procs': '41\n42\n',
          'cpu.stat': V2_CPU_STAT_THROTTLED,
          'memory.current': '6291456\n',
          'memory.peak': '7340032\n',
          'memory.stat': V2_MEMORY_STAT,
          'memory.events': V2_MEMORY_EVENTS,
          'memory.swap.current': '0\n',
          'pids.current': '3\n',
          'io.stat': V2_IO_STAT,
        });
      }
      const usage = await readCgroupUsage(layout.dirsFor(CGROUP));
      assert.ok(usage);
      set = buildPodMetrics(podFigures(usage), 1_733_000_500_000_000_000n);
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('gives every sample as many label values as its descriptor has label keys, and a listed descriptor', () => {
      for (const sample of allSamples(set)) {
        assert.ok(METRIC_FAMILIES.includes(sample.family), sample.family.name);
        assert.equal(labelValues(sample).length, sample.family.labelKeys.length, sample.family.name);
      }
    });

    it("has every name critest requires of a pod, between the pod's and its containers' series", () => {
      const names = new Set(allSamples(set).map((s) => s.family.name));
      const missing = CRITEST_EXPECTED.filter((n) => !CRITEST_UNIMPLEMENTED.has(n) && !CRITEST_OPTIONAL.has(n) && !names.has(n));
      assert.deepEqual(missing, []);
      // Block IO is optional to critest; these fixtures have it.
      for (const name of CRITEST_OPTIONAL) assert.ok(names.has(name), name);
    });

    it('never repeats a series: kubelet refuses a scrape that has one twice', () => {
      const keys = allSamples(set).map((s) => JSON.stringify([s.family.name, ...labelValues(s)]));
      assert.equal(new Set(keys).size, keys.length);
    });

    it("labels the pod's network like cadvisor labels the pause container's, one series per interface", () => {
      assert.ok(set.metrics.every((s) => s.family.extraLabelKeys[0] === 'interface'));
      const rx = find(set.metrics, 'container_network_receive_bytes_total', 'eth0');
      assert.deepEqual(rx && labelValues(rx), ['', '/kubepods/burstable/pod123/pod-id', 'registry.k8s.io/pause:3.10', 'pod-id', 'default', 'web-0', 'eth0']);
      assert.equal(rx?.value, 210755n);
      assert.equal(find(set.metrics, 'container_network_receive_packets_dropped_total', 'eth0')?.value, 7n);
      assert.equal(find(set.metrics, 'container_network_transmit_packets_total', 'net1')?.value, 6n);
      assert.equal(find(set.metrics, 'container_network_receive_bytes_total', 'lo'), undefined);
    });

    it("labels a container's series with its name, cgroup, image, ID, namespace and pod", () => {
      const [container] = set.containers;
      assert.equal(container?.containerId, 'abc');
      const usage = container && find(container.metrics, 'container_memory_usage_bytes');
      assert.deepEqual(usage && labelValues(usage), ['app', CGROUP, 'registry.example/app:1', 'abc', 'default', 'web-0']);
    });

    it('reports whole seconds of cpu, cadvisor\'s memory scopes, and the spec, process and filesystem figures', () => {
      const samples = set.containers[0]?.metrics ?? [];
      const value = (name: string, ...extra: string[]) => find(samples, name, ...extra)?.value;
      assert.equal(value('container_cpu_usage_seconds_total', 'total'), 3n);
      assert.equal(value('container_cpu_cfs_throttled_seconds_total'), version === 1 ? 2n : 1n);
      assert.equal(value('container_cpu_cfs_throttled_periods_total'), version === 1 ? 37n : 45n);
      assert.equal(value('container_memory_failures_total', 'pgfault', 'container'), version === 1 ? 3190n : 2345n);
      assert.equal(value('container_memory_failures_total', 'pgmajfault', 'hierarchy'), version === 1 ? 12n : 7n);
      assert.equal(value('container_memory_failcnt'), version === 1 ? 5n : 17n);
      assert.equal(value('container_oom_events_total'), version === 1 ? 2n : 1n);
      assert.equal(value('container_processes'), 2n);
      assert.equal(value('container_threads'), 3n);
      assert.equal(value('container_threads_max'), 0n);
      assert.equal(value('container_file_descriptors'), 7n);
      assert.equal(value('container_sockets'), 2n);
      assert.equal(value('container_ulimits_soft', 'max_open_files'), 1024n);
      assert.equal(value('container_spec_cpu_quota'), 20000n);
      assert.equal(value('container_spec_memory_swap_limit_bytes'), 67108864n);
      assert.equal(value('container_start_time_seconds'), 1_733_000_123n);
      assert.equal(value('container_last_seen'), 1_733_000_500n);
      assert.equal(value('container_fs_usage_bytes', '/dev/vda1'), 8192n);
      assert.equal(value('container_fs_inodes_free', '/dev/vda1'), 600000n);
      assert.equal(value('container_fs_reads_bytes_total', '/dev/sda'), version === 1 ? 4096n : 1048576n);
      // A device sysfs could not name is labelled by its numbers.
      assert.equal(value('container_fs_reads_total', '253:1'), 1n);
      assert.equal(value('container_blkio_device_usage_total', '/dev/sda', '8', '0', 'Write'), version === 1 ? 8192n : 2097152n);
    });

    it('stamps only the figure measured earlier (the writable layer); the rest were read for this call', () => {
      for (const sample of allSamples(set)) {
        assert.equal(sample.timestampNs, sample.family === FAMILIES.fsUsage ? LAYER_AT : 0n, sample.family.name);
      }
    });
  });
}

describe('a pod without figures', () => {
  it('has no series: no network read, no running container', () => {
    const set = buildPodMetrics({ podId: 'p', podName: 'n', namespace: 'ns', sandboxCgroupPath: '', sandboxImage: 'pause', containers: [], deviceNames: new Map() }, 1n);
    assert.deepEqual(set, { podId: 'p', metrics: [], containers: [] });
  });

  it("reports the kernel's defaults and no quota for a container whose spec sets no limits", async () => {
    const usage: CgroupUsage = {
      timestampNs: 1n,
      cpu: { usageNs: 0n, userNs: 0n, systemNs: 0n, periods: 0n, throttledPeriods: 0n, throttledNs: 0n },
      memory: {
        usage: 0n, workingSet: 0n, cache: 0n, rss: 0n, mappedFile: 0n, swap: 0n, activeFile: 0n, inactiveFile: 0n,
        pageFaults: { container: 0n, hierarchy: 0n }, majorPageFaults: { container: 0n, hierarchy: 0n },
      },
      processIds: [],
      io: [],
    };
    const figures = podFigures(usage);
    const [container] = figures.containers;
    assert.ok(container);
    container.resources = {};
    const samples = buildPodMetrics(figures, 1n).containers[0]?.metrics ?? [];
    const value = (name: string) => find(samples, name)?.value;
    assert.equal(value('container_spec_cpu_period'), 100000n);
    assert.equal(value('container_spec_cpu_shares'), 1024n);
    assert.equal(value('container_spec_memory_limit_bytes'), 0n);
    assert.equal(value('container_spec_cpu_quota'), undefined);
    // Files this kernel lacks leave their series out rather than reporting 0.
    assert.equal(value('container_memory_max_usage_bytes'), undefined);
    assert.equal(value('container_oom_events_total'), undefined);
  });
});
