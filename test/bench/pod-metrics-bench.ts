/**
 * ListPodSandboxMetrics against ListPodSandboxStats at many pods: starts a
 * real containerd and cri-ts (test/harness), runs PODS pods of pause plus one
 * busybox container with limits under a cgroup parent (as kubelet runs them),
 * then calls the two RPCs alternately ROUNDS times each from an in-process
 * gRPC client and prints the medians (wall time per call, measured at the
 * client, which keeps the reply's bytes undecoded so that its own protobuf
 * decoding is not counted) and cri-ts's CPU time per call (from /proc,
 * averaged over the rounds).
 *
 *   node dist/test/bench/pod-metrics-bench.js [PODS=100] [ROUNDS=20]
 *
 * Needs root, the offline registry of test/critest/build-images.sh, and about
 * 1.5 GiB for the shims. Uses its own bridge (critsmb0, 10.222.0.0/16) and
 * cgroup parent (/crits-metrics-bench-PID), removed at the end.
 */
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { criClient, type CriRuntime } from '../harness/cri-client.js';
import { BUSYBOX_IMAGE, OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry, writeBridgeConflist } from '../harness/offline-images.js';
import { startStack } from '../harness/stack.js';
import { removeBenchPods, removeCgroupTree, runBenchPods } from './bench-pods.js';

const BRIDGE = 'critsmb0';
const SUBNET = '10.222.0.0/16';
const CONCURRENCY = 4;

/** utime + stime of a process in ms (clock ticks are 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** A unary call whose reply stays in wire form: the time is cri-ts's and the transfer's. */
function rawCall(socket: string, path: string): () => Promise<Buffer> {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  return () =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(path, () => Buffer.alloc(0), (bytes: Buffer) => bytes, {}, (err, reply) => (err || !reply ? reject(err) : resolve(reply)));
    });
}

async function runPods(runtime: CriRuntime, count: number, logDir: string, cgroupRoot: string): Promise<string[]> {
  const pods = await runBenchPods(runtime, 0, count, {
    prefix: 'bench',
    namespace: 'metrics-bench',
    logDir,
    cgroupRoot,
    concurrency: CONCURRENCY,
    progress: (running) => console.error(`${running} pods running`),
  });
  return pods.map((pod) => pod.podSandboxId);
}

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 100);
  const rounds = Number(process.argv[3] ?? 20);
  await requireOfflineRegistry();
  const stack = await startStack('metbench', {
    logLevel: 'info',
    topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`,
    extraToml: OFFLINE_MIRRORS_TOML,
  });
  const cgroupRoot = `/crits-metrics-bench-${process.pid}`;
  const cri = criClient(stack.criTs.socket);
  const ids: string[] = [];
  try {
    await writeBridgeConflist(join(stack.dir, 'cni-conf'), { name: 'metbench', bridge: BRIDGE, subnet: SUBNET, ipamDir: join(stack.dir, 'ipam') });
    await cri.images.PullImage({ image: { image: BUSYBOX_IMAGE } });
    ids.push(...(await runPods(cri.runtime, pods, join(stack.dir, 'pod-logs'), cgroupRoot)));

    const calls = {
      ListPodSandboxStats: rawCall(stack.criTs.socket, '/runtime.v1.RuntimeService/ListPodSandboxStats'),
      ListPodSandboxMetrics: rawCall(stack.criTs.socket, '/runtime.v1.RuntimeService/ListPodSandboxMetrics'),
    };
    const bytes: Record<string, number> = {};
    const wall: Record<string, number[]> = { ListPodSandboxStats: [], ListPodSandboxMetrics: [] };
    const cpu: Record<string, number> = { ListPodSandboxStats: 0, ListPodSandboxMetrics: 0 };
    // Warm up: the first calls measure writable layers and the snapshotter once.
    for (const call of Object.values(calls)) for (let i = 0; i < 3; i++) await call();
    for (let round = 0; round < rounds; round++) {
      for (const [name, call] of Object.entries(calls)) {
        const cpuBefore = await cpuMs(stack.criTs.pid);
        const started = process.hrtime.bigint();
        bytes[name] = (await call()).length;
        wall[name]!.push(Number(process.hrtime.bigint() - started) / 1e6);
        cpu[name]! += (await cpuMs(stack.criTs.pid)) - cpuBefore;
      }
    }
    const metrics = await cri.runtime.ListPodSandboxMetrics({});
    const series = metrics.podMetrics.reduce((n, p) => n + p.metrics.length + p.containerMetrics.reduce((m, c) => m + c.metrics.length, 0), 0);
    console.log(`${pods} pods, ${rounds} calls each, alternating; ListPodSandboxMetrics answers ${series} metrics`);
    for (const name of Object.keys(calls)) {
      const kib = (bytes[name]! / 1024).toFixed(0);
      console.log(`${name}: median ${median(wall[name]!).toFixed(1)} ms wall, ${(cpu[name]! / rounds).toFixed(1)} ms cri-ts CPU per call, ${kib} KiB reply`);
    }
  } finally {
    await removeBenchPods(cri.runtime, ids, CONCURRENCY);
    cri.close();
    await stack.stop();
    await new Promise<void>((resolve) => execFile('ip', ['link', 'del', BRIDGE], () => resolve()));
    await removeCgroupTree(cgroupRoot);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
