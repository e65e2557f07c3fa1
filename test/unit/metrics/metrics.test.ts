import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ObjectStateCounts, ProcessMetrics, splitMethodPath, withOutcome } from '../../../src/metrics/metrics.js';
import { CriTsMetrics } from '../../../src/metrics/prom-metrics.js';
import { parsePrometheusText, samplesOf, sumOf } from '../../harness/prometheus-text.js';

async function scrape(metrics: CriTsMetrics) {
  return parsePrometheusText(await metrics.registry.metrics());
}

describe('CriTsMetrics', () => {
  it('counts CRI calls by method and gRPC code (spelled as Go prints it) and times them per method', async () => {
    const metrics = new CriTsMetrics();
    const runPod = metrics.criMethod('runtime.v1.RuntimeService', 'RunPodSandbox');
    runPod.done(0, 0.25);
    runPod.done(0, 0.5);
    runPod.done(5, 0.125);
    metrics.criMethod('runtime.v1.ImageService', 'PullImage').done(9, 3);
    const samples = await scrape(metrics);
    const method = { grpc_service: 'runtime.v1.RuntimeService', grpc_method: 'RunPodSandbox' };
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handled_total', { ...method, grpc_code: 'OK' }), 2);
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handled_total', { ...method, grpc_code: 'NotFound' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handled_total', { grpc_method: 'PullImage', grpc_code: 'FailedPrecondition' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handling_seconds_count', method), 3);
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handling_seconds_sum', method), 0.875);
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handling_seconds_bucket', { ...method, le: '0.1' }), 0);
    assert.equal(sumOf(samples, 'cri_ts_grpc_server_handling_seconds_bucket', { ...method, le: '0.25' }), 2);
    // A method never called has no series at all.
    assert.deepEqual(samplesOf(samples, 'cri_ts_grpc_server_handled_total', { grpc_method: 'StopPodSandbox' }), []);
  });

  it('names containerd calls by the service and method of their gRPC path', async () => {
    assert.deepEqual(splitMethodPath('/containerd.services.tasks.v1.Tasks/Create'), { service: 'containerd.services.tasks.v1.Tasks', method: 'Create' });
    const metrics = new CriTsMetrics();
    metrics.containerdMethod('/containerd.services.tasks.v1.Tasks/Create').done(0, 0.01);
    const samples = await scrape(metrics);
    const labels = { grpc_service: 'containerd.services.tasks.v1.Tasks', grpc_method: 'Create' };
    assert.equal(sumOf(samples, 'cri_ts_containerd_client_handled_total', { ...labels, grpc_code: 'OK' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_containerd_client_handling_seconds_count', labels), 1);
  });

  it('records CNI plugin calls, image pulls and host commands with their labels', async () => {
    const metrics = new CriTsMetrics();
    metrics.cniPluginCall('bridge', 'ADD', 'success', 0.3);
    metrics.cniPluginCall('bridge', 'DEL', 'failure', 0.1);
    metrics.imagePull('success', 2, 1000);
    metrics.imagePull('failure', 1, 10);
    metrics.commandRun('mount', 0.002, 0.01);
    metrics.commandRun('missing', undefined, 0.001);
    const samples = await scrape(metrics);
    assert.equal(sumOf(samples, 'cri_ts_cni_plugin_duration_seconds_count', { plugin: 'bridge', command: 'ADD', result: 'success' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_cni_plugin_duration_seconds_count', { plugin: 'bridge', command: 'DEL', result: 'failure' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_image_pull_duration_seconds_count', { result: 'success' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_image_pull_bytes_total', { result: 'success' }), 1000);
    assert.equal(sumOf(samples, 'cri_ts_image_pull_bytes_total', { result: 'failure' }), 10);
    assert.equal(sumOf(samples, 'cri_ts_command_duration_seconds_count', { program: 'mount' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_command_duration_seconds_count', { program: 'missing' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_command_spawn_seconds_count'), 1, 'a program that never started has no spawn time');
    assert.equal(sumOf(samples, 'cri_ts_command_spawn_seconds_sum'), 0.002);
  });

  it('observes each phase of a pod start, container create and container start in its own histogram', async () => {
    const metrics = new CriTsMetrics();
    metrics.podStarted([
      { phase: 'cni_add', startMs: 1, durationMs: 2500 },
      { phase: 'total', startMs: 0, durationMs: 3000 },
    ]);
    metrics.containerCreated([{ phase: 'spec', startMs: 0, durationMs: 1 }]);
    metrics.containerStarted([{ phase: 'task_start', startMs: 0, durationMs: 40 }]);
    const samples = await scrape(metrics);
    assert.equal(sumOf(samples, 'cri_ts_pod_start_phase_seconds_sum', { phase: 'cni_add' }), 2.5);
    assert.equal(sumOf(samples, 'cri_ts_pod_start_phase_seconds_bucket', { phase: 'total', le: '2.5' }), 0);
    assert.equal(sumOf(samples, 'cri_ts_pod_start_phase_seconds_bucket', { phase: 'total', le: '5' }), 1);
    assert.equal(sumOf(samples, 'cri_ts_container_create_phase_seconds_sum', { phase: 'spec' }), 0.001);
    assert.equal(sumOf(samples, 'cri_ts_container_start_phase_seconds_sum', { phase: 'task_start' }), 0.04);
  });

  it('adds the state gauges, computed at each scrape, and the process metrics only once served', async () => {
    const metrics = new CriTsMetrics();
    assert.deepEqual(samplesOf(await scrape(metrics), 'process_cpu_seconds_total'), [], 'nothing samples the process before the server starts');
    let running = 1;
    let metricsCounts: ObjectStateCounts = { pods: { ready: 2, notready: 0 }, containers: { running, exited: 3 } };
    metrics.addServedFamilies(() => metricsCounts);
    let samples = await scrape(metrics);
    assert.equal(sumOf(samples, 'cri_ts_pod_sandboxes', { state: 'ready' }), 2);
    assert.equal(samplesOf(samples, 'cri_ts_pod_sandboxes', { state: 'notready' }).length, 1, 'a state with no pods is reported as 0');
    assert.equal(sumOf(samples, 'cri_ts_containers', { state: 'running' }), 1);
    assert.ok(samplesOf(samples, 'process_cpu_seconds_total').length === 1);
    assert.ok(samplesOf(samples, 'process_resident_memory_bytes').length === 1);
    running = 4;
    metricsCounts = { pods: {}, containers: { running } };
    samples = await scrape(metrics);
    assert.equal(sumOf(samples, 'cri_ts_containers', { state: 'running' }), 4);
    assert.deepEqual(samplesOf(samples, 'cri_ts_containers', { state: 'exited' }), [], 'a state no longer given is gone');
  });
});

describe('ProcessMetrics', () => {
  it('records nothing until enabled; recorders made before then bind to the families at their first call after', async () => {
    const metrics = new ProcessMetrics();
    const early = metrics.criMethod('runtime.v1.RuntimeService', 'Version');
    early.done(0, 0.001); // not enabled: dropped
    metrics.imagePull('success', 1, 10);
    const families = await metrics.enable();
    assert.equal(await metrics.enable(), families, 'enabled once');
    early.done(0, 0.002);
    metrics.imagePull('success', 1, 20);
    const text = parsePrometheusText(await families.registry.metrics());
    assert.equal(sumOf(text, 'cri_ts_grpc_server_handled_total', { grpc_method: 'Version', grpc_code: 'OK' }), 1);
    assert.equal(sumOf(text, 'cri_ts_image_pull_bytes_total', { result: 'success' }), 20);
  });
});

describe('withOutcome', () => {
  it('reports success with the duration and passes the value on', async () => {
    const seen: Array<[string, number]> = [];
    assert.equal(await withOutcome(async () => 7, (result, seconds) => seen.push([result, seconds])), 7);
    assert.equal(seen[0]?.[0], 'success');
    assert.ok(seen[0]![1] >= 0 && seen[0]![1] < 1);
  });

  it('reports failure and rethrows', async () => {
    const seen: string[] = [];
    await assert.rejects(
      withOutcome(
        async () => {
          throw new Error('boom');
        },
        (result) => seen.push(result),
      ),
      /boom/,
    );
    assert.deepEqual(seen, ['failure']);
  });
});
