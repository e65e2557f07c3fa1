import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crictl, crictlJson, CRI_TOOLS_VERSION } from '../../harness/crictl.js';
import { OFFLINE_REGISTRY } from '../../harness/offline-images.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';
import { parsePrometheusText, type Sample, samplesOf, sumOf } from '../../harness/prometheus-text.js';

const exec = promisify(execFile);

interface Phase {
  phase: string;
  startMs: number;
  durationMs: number;
}

const POD_PHASES = [
  'sandbox_image',
  'files',
  'network',
  'netns',
  'cni_add',
  'record_and_snapshot',
  'record_create',
  'snapshot_prepare',
  'parallel_setup',
  'pause_task',
  'task_create',
  'task_start',
  'state_write',
  'total',
];
const CREATE_PHASES = ['image_lookup', 'io', 'image_user', 'spec', 'record_create', 'snapshot_prepare', 'total'];
const START_PHASES = ['task_create', 'task_start', 'total'];

/** A port nothing listens on now, for cri-ts's metrics server. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** CRI calls cri-ts logged (each answered call logs "rpc done" or "rpc failed" with its name), by "Service/Method". */
async function loggedRpcs(logPath: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await readFile(logPath, 'utf8')).split('\n')) {
    if (!line.includes('"rpc"')) continue;
    const entry = JSON.parse(line) as { rpc?: string; msg?: string };
    if (entry.rpc && (entry.msg === 'rpc done' || entry.msg === 'rpc failed')) counts.set(entry.rpc, (counts.get(entry.rpc) ?? 0) + 1);
  }
  return counts;
}

/** CRI calls as /metrics counts them, by "runtime.v1.Service/Method". */
function countedRpcs(samples: readonly Sample[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of samplesOf(samples, 'cri_ts_grpc_server_handled_total')) {
    const name = `${s.labels.grpc_service}/${s.labels.grpc_method}`;
    counts.set(name, (counts.get(name) ?? 0) + s.value);
  }
  return counts;
}

describe('/metrics and the start phases of pods and containers, on the real stack', () => {
  let fixture: PodFixture;
  let metricsUrl: string;
  const socket = () => fixture.stack.criTs.socket;
  /** As an operator would fetch it. */
  const curlMetrics = async (): Promise<Sample[]> => parsePrometheusText((await exec('curl', ['-fsS', '-m', '10', metricsUrl])).stdout);

  /** Every CRI call in cri-ts's log is in /metrics, with the same count, and has its latency histogram. */
  const assertEveryRpcCounted = async (): Promise<Map<string, number>> => {
    let logged = new Map<string, number>();
    let counted = new Map<string, number>();
    let samples: Sample[] = [];
    // The log is written asynchronously: wait for it to catch up with the counters.
    await waitFor(
      'the logged CRI calls to match cri_ts_grpc_server_handled_total',
      async () => {
        samples = await curlMetrics();
        counted = countedRpcs(samples);
        logged = await loggedRpcs(fixture.stack.criTs.logPath);
        return logged.size > 0 && [...logged].every(([rpc, n]) => counted.get(rpc) === n) && [...counted].every(([rpc, n]) => logged.get(rpc) === n);
      },
      5000,
    ).catch((err: unknown) => {
      assert.deepEqual(Object.fromEntries(counted), Object.fromEntries(logged), String(err));
    });
    for (const rpc of logged.keys()) {
      const [service, method] = rpc.split('/') as [string, string];
      const count = sumOf(samples, 'cri_ts_grpc_server_handling_seconds_count', { grpc_service: service, grpc_method: method });
      assert.equal(count, logged.get(rpc), `${rpc} has a latency histogram with every call`);
    }
    return logged;
  };

  before(async () => {
    metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    fixture = await startPodFixture(
      'metrics',
      { bridge: 'critspm0', subnet: '10.233.0.0/16' },
      {},
      {
        // critest pulls from these registries too; all are served by the offline one.
        extraToml: [
          '[registry.mirrors."k8s.gcr.io"]',
          `endpoint = ["${OFFLINE_REGISTRY}"]`,
          '[registry.mirrors."gcr.io"]',
          `endpoint = ["${OFFLINE_REGISTRY}"]`,
          '[metrics]',
          `address = "${new URL(metricsUrl).host}"`,
        ].join('\n'),
      },
    );
  });

  after(async () => {
    await fixture?.stop();
  });

  it('serves every CRI call, containerd call, CNI plugin, pull, host command and phase it saw', async () => {
    const c = await fixture.run(['sleep', '600']);
    const exited = await fixture.run(['true']);
    assert.equal((await crictl(socket(), ['exec', '-s', c.id, 'true'])).code, 0);
    assert.equal((await crictl(socket(), ['inspect', 'no-such-container'])).code === 0, false, 'a failed call counts too');
    assert.notEqual((await crictl(socket(), ['pull', '127.0.0.1:5000/no/such-image:1'])).code, 0, 'a failed pull counts too');
    await crictl(socket(), ['stats']);
    await crictl(socket(), ['images']);
    await waitFor('the short container to exit', async () => (await crictlJson<{ status: { state: string } }>(socket(), ['inspect', exited.id])).status.state === 'CONTAINER_EXITED');

    const logged = await assertEveryRpcCounted();
    for (const rpc of ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'ContainerStatus', 'ListContainerStats']) {
      assert.ok(logged.has(`runtime.v1.RuntimeService/${rpc}`), `${rpc} was called`);
    }
    assert.ok(logged.has('runtime.v1.ImageService/PullImage'));

    const samples = await curlMetrics();
    const ok = (name: string, labels: Record<string, string>) => sumOf(samples, name, labels);
    assert.equal(ok('cri_ts_grpc_server_handled_total', { grpc_method: 'ContainerStatus', grpc_code: 'NotFound' }), 1);

    // containerd: what RunPodSandbox, CreateContainer and StartContainer call, each timed and counted.
    for (const [service, method] of [
      ['containerd.services.containers.v1.Containers', 'Create'],
      ['containerd.services.snapshots.v1.Snapshots', 'Prepare'],
      ['containerd.services.tasks.v1.Tasks', 'Create'],
      ['containerd.services.tasks.v1.Tasks', 'Start'],
      // a stream (the pulls' content writes), recorded when it ends
      ['containerd.services.content.v1.Content', 'Write'],
    ] as const) {
      const labels = { grpc_service: service, grpc_method: method };
      assert.ok(ok('cri_ts_containerd_client_handling_seconds_count', labels) >= 1, `${service}/${method} timed`);
      assert.ok(ok('cri_ts_containerd_client_handled_total', { ...labels, grpc_code: 'OK' }) >= 1, `${service}/${method} counted`);
    }
    assert.ok(ok('cri_ts_containerd_client_handled_total', { grpc_method: 'Create', grpc_code: 'OK' }) >= 4, 'record and task of the pod and two containers');

    // CNI: the fixture's conflist is bridge, portmap, loopback.
    for (const plugin of ['bridge', 'portmap', 'loopback']) {
      assert.equal(ok('cri_ts_cni_plugin_duration_seconds_count', { plugin, command: 'ADD', result: 'success' }), 1, `${plugin} ADD`);
    }

    // Pulls: the pause image (through RunPodSandbox) and busybox, both new to this containerd.
    assert.equal(ok('cri_ts_image_pull_duration_seconds_count', { result: 'success' }), 2);
    assert.ok(ok('cri_ts_image_pull_bytes_total', { result: 'success' }) > 500_000, 'busybox and pause are more than half a MB');
    assert.equal(ok('cri_ts_image_pull_duration_seconds_count', { result: 'failure' }), 1);
    assert.equal(ok('cri_ts_grpc_server_handled_total', { grpc_method: 'PullImage', grpc_code: 'NotFound' }), 1);

    // Host commands went through the helper (the pod's mounts, made by the helper itself, and the CNI plugins): none stalled cri-ts while it started.
    assert.ok(ok('cri_ts_command_duration_seconds_count', { program: 'mount(2)' }) >= 1);
    assert.equal(ok('cri_ts_command_spawn_seconds_count', {}), 0);
    assert.ok(ok('cri_ts_command_duration_seconds_count', { program: 'bridge' }) >= 1);

    // Phases: one pod start, three container creates and starts (the fixture pulled and ran none before these).
    for (const phase of POD_PHASES) assert.equal(ok('cri_ts_pod_start_phase_seconds_count', { phase }), 1, `pod phase ${phase}`);
    for (const phase of CREATE_PHASES) assert.equal(ok('cri_ts_container_create_phase_seconds_count', { phase }), 2, `create phase ${phase}`);
    for (const phase of START_PHASES) assert.equal(ok('cri_ts_container_start_phase_seconds_count', { phase }), 2, `start phase ${phase}`);

    assert.equal(ok('cri_ts_pod_sandboxes', { state: 'ready' }), 1);
    assert.equal(ok('cri_ts_pod_sandboxes', { state: 'notready' }), 0);
    assert.equal(ok('cri_ts_containers', { state: 'running' }), 1);
    assert.equal(ok('cri_ts_containers', { state: 'exited' }), 1);
    assert.ok(ok('process_resident_memory_bytes', {}) > 10_000_000);
    assert.ok(samplesOf(samples, 'nodejs_eventloop_lag_p99_seconds').length === 1);
  });

  it('shows in crictl inspectp how long each phase of the pod start took, and in crictl inspect those of a container', async () => {
    const pod = await crictlJson<{ info: { startPhases: Phase[] } }>(socket(), ['inspectp', fixture.podId]);
    const phases = pod.info.startPhases;
    assert.deepEqual([...phases.map((p) => p.phase)].sort(), [...POD_PHASES].sort());
    const of = (name: string) => phases.find((p) => p.phase === name)!;
    assert.equal(phases.at(-1)?.phase, 'total', 'the total comes last');
    const starts = phases.slice(0, -1).map((p) => p.startMs);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b), 'listed in the order they started');
    const slack = 0.01;
    for (const p of phases) assert.ok(p.startMs + p.durationMs <= of('total').durationMs + slack, `${p.phase} lies within the pod start`);
    assert.ok(of('network').durationMs + slack >= of('netns').durationMs + of('cni_add').durationMs, 'the network branch spans netns and CNI ADD');
    assert.ok(of('record_and_snapshot').durationMs + slack >= of('record_create').durationMs + of('snapshot_prepare').durationMs);
    assert.ok(of('pause_task').durationMs + slack >= of('task_create').durationMs + of('task_start').durationMs, 'the pause task branch spans create and start');
    const branches = ['files', 'network', 'record_and_snapshot'];
    for (const branch of [...branches, 'pause_task']) {
      assert.ok(of('parallel_setup').durationMs + slack >= of(branch).durationMs, `parallel_setup spans the ${branch} branch`);
    }
    for (const branch of branches) {
      for (const other of branches.filter((b) => b !== branch)) {
        assert.ok(of(branch).startMs < of(other).startMs + of(other).durationMs, `the ${branch} branch starts before ${other} ends: they run at once`);
      }
    }
    const end = (name: string) => of(name).startMs + of(name).durationMs;
    for (const before of ['files', 'netns', 'record_and_snapshot']) {
      assert.ok(of('task_create').startMs >= end(before) - slack, `the pause task waits for ${before}`);
    }
    assert.ok(of('task_create').startMs < end('cni_add'), 'the pause task is created while CNI ADD runs');

    const [first] = (await crictl(socket(), ['ps', '-q', '--state', 'running'])).stdout.split('\n');
    const container = await crictlJson<{ info: { createPhases: Phase[]; startPhases: Phase[] } }>(socket(), ['inspect', first!]);
    assert.deepEqual(container.info.createPhases.map((p) => p.phase).sort(), [...CREATE_PHASES].sort());
    assert.deepEqual(container.info.startPhases.map((p) => p.phase).sort(), [...START_PHASES].sort());
  });

  it('after a critest run, /metrics counts every CRI call critest made', async () => {
    const critest = `${process.env.CRI_TS_CACHE ?? '/var/cache/cri-ts'}/tools/${CRI_TOOLS_VERSION}/critest`;
    assert.ok(existsSync(critest), `critest not found at ${critest}; run test/critest/build-tools.sh`);
    const before = await loggedRpcs(fixture.stack.criTs.logPath);
    const workDir = await mkdtemp(join(tmpdir(), 'cri-ts-metrics-critest-'));
    const endpoint = `unix://${socket()}`;
    const focus = [
      'should support starting container \\[',
      'should support execSync \\[',
      'should support listing container stats \\[',
      'should support stopping PodSandbox \\[',
      'should list and get image status immediately after pulling',
      'exec with tty=false and stdin=false',
      'should support listing pod sandbox metrics',
    ].join('|');
    try {
      const run = await exec(critest, ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '-ginkgo.no-color', `-ginkgo.focus=${focus}`], {
        cwd: workDir,
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      }).catch((err: { stdout?: string }) => assert.fail(`critest failed:\n${(err.stdout ?? String(err)).slice(-3000)}`));
      assert.match(run.stdout, /Ran 7 of \d+ Specs/, 'the focus picks seven specs');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    const logged = await assertEveryRpcCounted();
    const byCritest = [...logged].filter(([rpc, n]) => n > (before.get(rpc) ?? 0)).map(([rpc]) => rpc);
    const expected = [
      ...['RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'Exec', 'ContainerStats'],
      ...['ListPodSandboxMetrics', 'ListMetricDescriptors'],
    ].map((rpc) => `runtime.v1.RuntimeService/${rpc}`);
    expected.push(...['PullImage', 'ImageStatus', 'ListImages', 'RemoveImage'].map((rpc) => `runtime.v1.ImageService/${rpc}`));
    for (const rpc of expected) assert.ok(byCritest.includes(rpc), `critest called ${rpc}: ${byCritest.join(' ')}`);
    const samples = await curlMetrics();
    assert.ok(sumOf(samples, 'cri_ts_pod_start_phase_seconds_count', { phase: 'cni_add' }) > 2, 'the critest pods started are in the phase histograms');
  });

  it('keeps the phases in memory only: after a restart inspectp shows none, and /metrics starts again from zero', async () => {
    await fixture.stack.criTs.stop();
    await fixture.stack.criTs.start();
    const pod = await crictlJson<{ info: { startPhases: Phase[] | null } }>(socket(), ['inspectp', fixture.podId]);
    assert.equal(pod.info.startPhases, null);
    const samples = await curlMetrics();
    assert.equal(sumOf(samples, 'cri_ts_pod_start_phase_seconds_count', { phase: 'total' }), 0);
    assert.equal(sumOf(samples, 'cri_ts_pod_sandboxes', { state: 'ready' }), 1, 'the recovered pod is counted');
  });
});
