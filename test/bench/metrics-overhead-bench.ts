/**
 * What recording metrics costs on the hot path, with and without it:
 *   1. a method recorder's done (every CRI and containerd call) in a loop;
 *   2. a containerd unary call (Version) in this process, on a containerd of
 *      its own, rounds alternating with recording switched off;
 *   3. StartContainer on cri-ts started with `[metrics] address` and without it
 *      (metrics-off.js preloaded: no phase timing either), alternating: the
 *      call's latency and cri-ts's CPU per call.
 *
 *   node dist/test/bench/metrics-overhead-bench.js [CALLS_PER_ROUND] [CONTAINERS_PER_ROUND] [ROUNDS]
 *
 * (CONTAINERS_PER_ROUND 0 skips the StartContainer part.)
 *
 * Needs the offline registry (test/critest/build-images.sh), crictl, containerd and runc.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerdClient } from '../../src/containerd/client.js';
import { metrics } from '../../src/metrics/metrics.js';
import { CriTsMetrics, PromMethodRecorder } from '../../src/metrics/prom-metrics.js';
import { createTestContainerd } from '../harness/containerd.js';
import { crictl } from '../harness/crictl.js';
import { startPodFixture } from '../harness/pod-fixture.js';
import { makeTestDir } from '../harness/test-dir.js';

const METRICS_OFF = fileURLToPath(new URL('./metrics-off.js', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function recorderCost(): void {
  const metrics = new CriTsMetrics();
  const recorder = metrics.containerdMethod('/containerd.services.tasks.v1.Tasks/Start');
  const n = 1_000_000;
  for (let i = 0; i < 10_000; i++) recorder.done(0, 0.001);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) recorder.done(i % 50 === 0 ? 5 : 0, (i % 1000) / 1e5);
  console.log(`PromMethodRecorder.done: ${(Number(process.hrtime.bigint() - started) / n).toFixed(0)} ns per call`);
}

async function containerdUnary(calls: number, rounds: number): Promise<void> {
  const dir = await makeTestDir('metrics-bench');
  const containerd = await createTestContainerd(join(dir.dir, 'containerd'));
  await containerd.start();
  await metrics.enable();
  const client = new ContainerdClient(containerd.address, 'k8s.io', 10_000);
  const done = PromMethodRecorder.prototype.done;
  const results = { on: { cpu: [] as number[], wall: [] as number[] }, off: { cpu: [] as number[], wall: [] as number[] } };
  try {
    for (let i = 0; i < 500; i++) await client.version();
    for (let round = 0; round < rounds * 2; round++) {
      // on, off, off, on, ...: neither mode always runs first
      const mode = round % 4 === 0 || round % 4 === 3 ? 'on' : 'off';
      PromMethodRecorder.prototype.done = mode === 'on' ? done : () => undefined;
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await client.version();
      const wallUs = Number(process.hrtime.bigint() - started) / 1e3 / calls;
      const used = process.cpuUsage(cpu);
      results[mode].cpu.push((used.user + used.system) / calls);
      results[mode].wall.push(wallUs);
    }
  } finally {
    PromMethodRecorder.prototype.done = done;
    client.close();
    await containerd.stop();
    await dir.remove();
  }
  for (const mode of ['on', 'off'] as const) {
    console.log(
      `containerd Version call, metrics ${mode}: ${median(results[mode].wall).toFixed(1)} µs wall, ${median(results[mode].cpu).toFixed(1)} µs CPU (median of ${rounds} rounds of ${calls})`,
    );
  }
}

async function startContainers(count: number, metricsOff: boolean): Promise<{ ms: number; cpuMs: number }> {
  const savedOptions = process.env.NODE_OPTIONS;
  if (metricsOff) process.env.NODE_OPTIONS = `--import ${METRICS_OFF}`;
  const fixture = await startPodFixture('metrics', { bridge: 'critspm0', subnet: '10.233.0.0/16' }, {}, metricsOff ? {} : { extraToml: '[metrics]\naddress = "127.0.0.1:0"' }).finally(
    () => {
      if (savedOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = savedOptions;
    },
  );
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) ids.push((await fixture.create(['sleep', '3600'])).id);
    const times: number[] = [];
    const cpuBefore = cpuSecondsOf(fixture.stack.criTs.pid);
    for (const id of ids) {
      const started = process.hrtime.bigint();
      const result = await crictl(fixture.stack.criTs.socket, ['start', id]);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.code !== 0) throw new Error(result.stderr);
    }
    return { ms: median(times), cpuMs: ((cpuSecondsOf(fixture.stack.criTs.pid) - cpuBefore) * 1000) / count };
  } catch (err) {
    console.error(`round failed: ${String(err)}\n${await fixture.stack.criTs.log()}`.slice(0, 20_000));
    throw err;
  } finally {
    // One by one: StopPodSandbox killing dozens at once outlasts the harness's 10 s containerd deadline on a loaded node.
    for (const id of ids) await crictl(fixture.stack.criTs.socket, ['rm', '-f', id], 60);
    const removed = await crictl(fixture.stack.criTs.socket, ['rmp', '-f', fixture.podId], 300);
    if (removed.code !== 0) console.error(`rmp: ${removed.stderr}`);
    await fixture.stop();
  }
}

async function main(): Promise<void> {
  const [callsText, containersText, roundsText] = process.argv.slice(2);
  const rounds = Number(roundsText ?? 3);
  recorderCost();
  await containerdUnary(Number(callsText ?? 3000), rounds);
  if (Number(containersText ?? 30) === 0) return;
  const starts = { on: [] as Array<{ ms: number; cpuMs: number }>, off: [] as Array<{ ms: number; cpuMs: number }> };
  for (let round = 0; round < rounds * 2; round++) {
    const mode = round % 4 === 0 || round % 4 === 3 ? 'on' : 'off';
    const result = await startContainers(Number(containersText ?? 30), mode === 'off');
    console.log(`  round ${round + 1}, metrics ${mode}: StartContainer ${result.ms.toFixed(1)} ms median (crictl start), cri-ts ${result.cpuMs.toFixed(2)} ms CPU per start`);
    starts[mode].push(result);
  }
  for (const mode of ['on', 'off'] as const) {
    console.log(
      `StartContainer, metrics ${mode}: ${median(starts[mode].map((r) => r.ms)).toFixed(1)} ms, cri-ts ${median(starts[mode].map((r) => r.cpuMs)).toFixed(2)} ms CPU per start (median of ${rounds} rounds)`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
