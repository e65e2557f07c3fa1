/**
 * The metric families cri-ts reports through ListMetricDescriptors and
 * ListPodSandboxMetrics: cadvisor's container_* families with cadvisor's
 * names, help texts, label names, types and units (seconds, bytes), so that
 * kubelet's /metrics/cadvisor reads the same with PodAndContainerStatsFromCRI.
 * CRI carries every value as a uint64: seconds are whole seconds.
 */

export type MetricType = 'counter' | 'gauge';

/**
 * The labels of every series, as kubelet labels cadvisor's: the container's
 * name ("" for the pod's own series), the cgroup (cadvisor's id), the image,
 * the container ID (cadvisor's name: its first alias), the pod's namespace and name.
 */
export const BASE_LABEL_KEYS = ['container', 'id', 'image', 'name', 'namespace', 'pod'] as const;

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** The labels after the base ones, e.g. "interface" or "device". */
  readonly extraLabelKeys: readonly string[];
  /** Base label keys then extra ones: the order of every sample's label values. */
  readonly labelKeys: readonly string[];
}

function family(name: string, type: MetricType, help: string, extraLabelKeys: readonly string[] = []): MetricFamily {
  return { name, help, type, extraLabelKeys, labelKeys: [...BASE_LABEL_KEYS, ...extraLabelKeys] };
}

const DEVICE = ['device'];
const INTERFACE = ['interface'];

export const FAMILIES = {
  // CPU
  cpuUsage: family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.', ['cpu']),
  cpuUser: family('container_cpu_user_seconds_total', 'counter', 'Cumulative user cpu time consumed in seconds.'),
  cpuSystem: family('container_cpu_system_seconds_total', 'counter', 'Cumulative system cpu time consumed in seconds.'),
  cfsPeriods: family('container_cpu_cfs_periods_total', 'counter', 'Number of elapsed enforcement period intervals.'),
  cfsThrottledPeriods: family('container_cpu_cfs_throttled_periods_total', 'counter', 'Number of throttled period intervals.'),
  cfsThrottledSeconds: family('container_cpu_cfs_throttled_seconds_total', 'counter', 'Total time duration the container has been throttled.'),
  // Memory
  memoryCache: family('container_memory_cache', 'gauge', 'Number of bytes of page cache memory.'),
  memoryRss: family('container_memory_rss', 'gauge', 'Size of RSS in bytes.'),
  memoryKernel: family('container_memory_kernel_usage', 'gauge', 'Size of kernel memory allocated in bytes.'),
  memoryMappedFile: family('container_memory_mapped_file', 'gauge', 'Size of memory mapped files in bytes.'),
  memorySwap: family('container_memory_swap', 'gauge', 'Container swap usage in bytes.'),
  memoryFailcnt: family('container_memory_failcnt', 'counter', 'Number of memory usage hits limits'),
  memoryUsage: family('container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed'),
  memoryMaxUsage: family('container_memory_max_usage_bytes', 'gauge', 'Maximum memory usage recorded in bytes'),
  memoryWorkingSet: family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.'),
  memoryActiveFile: family('container_memory_total_active_file_bytes', 'gauge', 'Current total active file in bytes.'),
  memoryInactiveFile: family('container_memory_total_inactive_file_bytes', 'gauge', 'Current total inactive file in bytes.'),
  memoryFailures: family('container_memory_failures_total', 'counter', 'Cumulative count of memory allocation failures.', ['failure_type', 'scope']),
  oomEvents: family('container_oom_events_total', 'counter', 'Count of out of memory events observed for the container'),
  // Filesystem usage (the writable layer on the snapshotter's filesystem)
  fsInodesFree: family('container_fs_inodes_free', 'gauge', 'Number of available Inodes', DEVICE),
  fsInodesTotal: family('container_fs_inodes_total', 'gauge', 'Number of Inodes', DEVICE),
  fsLimit: family('container_fs_limit_bytes', 'gauge', 'Number of bytes that can be consumed by the container on this filesystem.', DEVICE),
  fsUsage: family('container_fs_usage_bytes', 'gauge', 'Number of bytes that are consumed by the container on this filesystem.', DEVICE),
  // Block IO
  fsReadsBytes: family('container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read', DEVICE),
  fsReads: family('container_fs_reads_total', 'counter', 'Cumulative count of reads completed', DEVICE),
  fsWritesBytes: family('container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written', DEVICE),
  fsWrites: family('container_fs_writes_total', 'counter', 'Cumulative count of writes completed', DEVICE),
  blkioDeviceUsage: family('container_blkio_device_usage_total', 'counter', 'Blkio Device bytes usage', ['device', 'major', 'minor', 'operation']),
  // Network (the pod's namespace)
  networkReceiveBytes: family('container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received', INTERFACE),
  networkReceivePackets: family('container_network_receive_packets_total', 'counter', 'Cumulative count of packets received', INTERFACE),
  networkReceiveDropped: family('container_network_receive_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while receiving', INTERFACE),
  networkReceiveErrors: family('container_network_receive_errors_total', 'counter', 'Cumulative count of errors encountered while receiving', INTERFACE),
  networkTransmitBytes: family('container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted', INTERFACE),
  networkTransmitPackets: family('container_network_transmit_packets_total', 'counter', 'Cumulative count of packets transmitted', INTERFACE),
  networkTransmitDropped: family('container_network_transmit_packets_dropped_total', 'counter', 'Cumulative count of packets dropped while transmitting', INTERFACE),
  networkTransmitErrors: family('container_network_transmit_errors_total', 'counter', 'Cumulative count of errors encountered while transmitting', INTERFACE),
  // Processes
  processes: family('container_processes', 'gauge', 'Number of processes running inside the container.'),
  fileDescriptors: family('container_file_descriptors', 'gauge', 'Number of open file descriptors for the container.'),
  sockets: family('container_sockets', 'gauge', 'Number of open sockets for the container.'),
  threads: family('container_threads', 'gauge', 'Number of threads running inside the container'),
  threadsMax: family('container_threads_max', 'gauge', 'Maximum number of threads allowed inside the container, infinity if value is zero'),
  ulimitsSoft: family('container_ulimits_soft', 'gauge', 'Soft ulimit values for the container root process. Unlimited if -1, except priority and nice', ['ulimit']),
  // Lifetime
  lastSeen: family('container_last_seen', 'gauge', 'Last time a container was seen by the exporter'),
  startTime: family('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds.'),
  // Spec (the container's resources)
  specCpuPeriod: family('container_spec_cpu_period', 'gauge', 'CPU period of the container.'),
  specCpuQuota: family('container_spec_cpu_quota', 'gauge', 'CPU quota of the container.'),
  specCpuShares: family('container_spec_cpu_shares', 'gauge', 'CPU share of the container.'),
  specMemoryLimit: family('container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container.'),
  specMemorySwapLimit: family('container_spec_memory_swap_limit_bytes', 'gauge', 'Memory swap limit for the container.'),
} as const satisfies Record<string, MetricFamily>;

/** Every family, for ListMetricDescriptors. */
export const METRIC_FAMILIES: readonly MetricFamily[] = Object.values(FAMILIES);
