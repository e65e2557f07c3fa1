import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListPodSandboxMetricsResponse } from '../../../src/generated/cri/runtime/v1/ListPodSandboxMetricsResponse.js';
import type { RuntimeServiceDefinition } from '../../../src/generated/cri/runtime/v1/RuntimeService.js';
import { grpcService } from '../../../src/proto/grpc-service.js';
import { encodeListPodSandboxMetricsResponse } from '../../../src/server/runtime/metrics-wire.js';
import { FAMILIES } from '../../../src/stats/metric-families.js';
import type { MetricSample, PodMetricSet } from '../../../src/stats/pod-metrics.js';

const method = grpcService<RuntimeServiceDefinition>('cri', 'runtime.v1.RuntimeService').ListPodSandboxMetrics;

/** The same reply as a plain message, for the generic encoder. */
function asMessage(pods: PodMetricSet[]): ListPodSandboxMetricsResponse {
  const metric = (s: MetricSample) => ({
    name: s.family.name,
    timestamp: s.timestampNs.toString(),
    metricType: s.family.type === 'gauge' ? ('GAUGE' as const) : ('COUNTER' as const),
    labelValues: [...s.base, ...s.extra],
    value: { value: s.value.toString() },
  });
  return {
    podMetrics: pods.map((p) => ({
      podSandboxId: p.podId,
      metrics: p.metrics.map(metric),
      containerMetrics: p.containers.map((c) => ({ containerId: c.containerId, metrics: c.metrics.map(metric) })),
    })),
  };
}

describe('ListPodSandboxMetrics wire encoding', () => {
  const base = ['app', `/kubepods/burstable/pod1/${'c'.repeat(64)}`, 'registry.example/app:1', 'c'.repeat(64), 'default', 'web-0'];
  const podBase = ['', '/kubepods/burstable/pod1/pause', 'registry.k8s.io/pause:3.10', 'p'.repeat(64), 'default', 'web-0'];
  const at = 1_733_000_000_123_456_789n;
  const sample = (family: MetricSample['family'], value: bigint, extra: string[] = [], labels = base, timestampNs = at): MetricSample => ({ family, base: labels, extra, value, timestampNs });

  const pods: PodMetricSet[] = [
    {
      podId: 'p'.repeat(64),
      metrics: [sample(FAMILIES.networkReceiveBytes, 210_755_602n, ['eth0'], podBase), sample(FAMILIES.networkTransmitErrors, 0n, ['net1'], podBase)],
      containers: [
        {
          containerId: 'c'.repeat(64),
          metrics: [
            sample(FAMILIES.cpuUsage, 12n, ['total']),
            // Zero, 2^63 - 4096 (v1's "unlimited") and 2^64 - 1 values; a zero timestamp; non-ASCII and long labels.
            sample(FAMILIES.memoryFailcnt, 0n),
            sample(FAMILIES.memoryUsage, 9_223_372_036_854_771_712n),
            sample(FAMILIES.memoryMaxUsage, 18_446_744_073_709_551_615n, [], base, 0n),
            sample(FAMILIES.memoryFailures, 3355n, ['pgfault', 'hierarchy']),
            sample(FAMILIES.fsUsage, 4096n, ['/dev/vdä1']),
            sample(FAMILIES.blkioDeviceUsage, 1_234_567n, ['x'.repeat(20_000), '253', '0', 'Read']),
          ],
        },
        { containerId: 'empty', metrics: [] },
      ],
    },
    { podId: 'no-metrics', metrics: [], containers: [] },
  ];

  it('decodes to what the generic encoder makes of the same reply', () => {
    const ours = encodeListPodSandboxMetricsResponse(pods);
    const generic = method.responseSerialize(asMessage(pods));
    assert.deepEqual(method.responseDeserialize(ours), method.responseDeserialize(generic));
  });

  it('gives every metric its value, 0 included, and its labels base first', () => {
    const decoded = method.responseDeserialize(encodeListPodSandboxMetricsResponse(pods));
    const [pod] = decoded.podMetrics;
    assert.equal(pod?.metrics[1]?.value?.value, '0');
    const container = pod?.containerMetrics[0];
    assert.deepEqual(container?.metrics[0]?.labelValues, [...base, 'total']);
    assert.equal(container?.metrics[0]?.metricType, 'COUNTER');
    assert.equal(container?.metrics[2]?.metricType, 'GAUGE');
    assert.equal(container?.metrics[3]?.value?.value, '18446744073709551615');
    assert.equal(container?.metrics[3]?.timestamp, '0');
    assert.equal(decoded.podMetrics[1]?.podSandboxId, 'no-metrics');
  });

  it('encodes no pods as an empty reply', () => {
    assert.equal(encodeListPodSandboxMetricsResponse([]).length, 0);
  });
});
