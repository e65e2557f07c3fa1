/**
 * cri-ts against containerd's own CRI on one containerd, from an in-process
 * gRPC client, for what critest -benchmark does not cover. Prints one
 * markdown report:
 *   - every list and status call (ListPodSandbox, ListContainers,
 *     ListPodSandboxStats, ListContainerStats, ListPodSandboxMetrics, Status,
 *     ImageStatus, ListImages, ExecSync; and Version, answered from constants by
 *     both, as the floor of any call) at 0 and at PODS running pods, the
 *     runtimes alternating call by call (which goes first alternates by round):
 *     median wall time per call at the client (replies left undecoded) and
 *     the daemon's CPU per call (from /proc, over all rounds);
 *   - RSS of the whole cri-ts process tree (cri-ts and every process it
 *     started: its command helper) and of containerd (with its CRI) idle, at
 *     PODS pods and after the pods are removed;
 *   - time from kill -9 of cri-ts (or of containerd, for its CRI) until a
 *     ListPodSandbox on a fresh connection lists every one of PODS pods.
 *
 *   node dist/test/bench/cri-compare-bench.js --containerd-dir DIR --cri-ts-config FILE --cri-ts-socket SOCK
 *       [--pods 100] [--rounds 101] [--budget-s 60] [--restarts 5] [--parts lists,memory,restart] [--json FILE] [--log-dir DIR]
 *
 * A call stops being timed after --budget-s seconds in it (both sides, at
 * least 11 rounds): containerd 2.4.2's ListPodSandboxMetrics takes seconds at
 * 100 pods. The rounds column says how many were timed.
 *
 * DIR is a containerd-cri.sh WORKDIR whose containerd runs (compare.sh sets
 * this up); cri-ts is started here from FILE (on that containerd, in its own
 * namespace) and stopped at the end. Needs the offline registry and about
 * 3 GiB for 2 x PODS shims. ExecSync "at 0 pods" runs in the one pod that
 * exists then. CRI_TS_NODE_FLAGS: extra node flags for cri-ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { criClient } from '../harness/cri-client.js';
import { BUSYBOX_IMAGE, PAUSE_IMAGE, requireOfflineRegistry } from '../harness/offline-images.js';
import { type BenchPod, type BenchPodOptions, removeBenchPods, removeCgroupTree, runBenchPods } from './bench-pods.js';
import { callOnce, decodeReply, RawCriClient } from './cri-calls.js';
import { type BenchDaemon, ContainerdCriDaemon, CriTsDaemon } from './daemons.js';
import { cpuMs, treeRss, waitForQuietCpu } from './process-tree.js';

type SideName = 'containerd' | 'cri-ts';
const SIDES: readonly SideName[] = ['containerd', 'cri-ts'];

interface Side {
  daemon: BenchDaemon;
  cri: ReturnType<typeof criClient>;
  raw: RawCriClient;
  pods: BenchPod[];
  podOptions: BenchPodOptions;
}

interface CallRow {
  call: string;
  pods: number;
  rounds: number;
  ms: Record<SideName, number>;
  cpuMs: Record<SideName, number>;
  error?: string;
}

interface Report {
  load: string[];
  calls: CallRow[];
  memory: Array<{ state: string; bytes: Record<SideName, number>; detail: string }>;
  restart: Array<{ pods: number; ms: Record<SideName, number[]> }>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
};

const load = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/^.*load average/, 'load average');
const log = (text: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

/** The calls timed at a given pod count; ExecSync needs a running container of that side. */
function callsFor(side: Side): Array<[string, object]> {
  const calls: Array<[string, object]> = [
    // Answered from constants by both: the floor of a call (transport, framing, dispatch).
    ['Version', {}],
    ['ListPodSandbox', {}],
    ['ListContainers', {}],
    ['ListPodSandboxStats', {}],
    ['ListContainerStats', {}],
    ['ListPodSandboxMetrics', {}],
    ['Status', {}],
    ['ImageStatus', { image: { image: BUSYBOX_IMAGE } }],
    ['ListImages', {}],
  ];
  const target = side.pods[0];
  if (target) calls.push(['ExecSync', { containerId: target.containerId, cmd: ['true'], timeout: 10 }]);
  return calls;
}

/** A call stops being timed once both sides together spent this long in it, after at least MIN_ROUNDS rounds. */
let budgetMs = 60_000;
const MIN_ROUNDS = 11;

async function timeCalls(sides: Record<SideName, Side>, pods: number, rounds: number, only?: string[]): Promise<CallRow[]> {
  const names = callsFor(sides['cri-ts'])
    .map(([name]) => name)
    .filter((name) => !only || only.includes(name));
  const wall = new Map(names.map((n) => [n, { containerd: [] as number[], 'cri-ts': [] as number[] }]));
  const cpu = new Map(names.map((n) => [n, { containerd: 0, 'cri-ts': 0 }]));
  const errors = new Map<string, string>();
  const spent = new Map(names.map((n) => [n, 0]));
  const requests = Object.fromEntries(SIDES.map((s) => [s, new Map(callsFor(sides[s]))])) as Record<SideName, Map<string, object>>;
  const warmup = 5;
  for (let round = 0; round < rounds + warmup; round++) {
    const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
    for (const name of names) {
      if (errors.has(name)) continue;
      const timed = wall.get(name)!;
      if (timed.containerd.length >= MIN_ROUNDS && spent.get(name)! > budgetMs) continue;
      for (const sideName of order) {
        const side = sides[sideName];
        const pid = side.daemon.pid();
        const cpuBefore = await cpuMs(pid);
        const started = process.hrtime.bigint();
        try {
          await side.raw.call(name, requests[sideName].get(name)!);
        } catch (err) {
          errors.set(name, `${sideName}: ${String(err)}`);
          break;
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        spent.set(name, spent.get(name)! + ms);
        const used = (await cpuMs(pid)) - cpuBefore;
        if (round < warmup) continue;
        wall.get(name)![sideName].push(ms);
        cpu.get(name)![sideName] += used;
      }
    }
  }
  return names.map((call) => ({
    call,
    pods,
    rounds: wall.get(call)!.containerd.length,
    ms: { containerd: median(wall.get(call)!.containerd), 'cri-ts': median(wall.get(call)!['cri-ts']) },
    cpuMs: { containerd: cpu.get(call)!.containerd / wall.get(call)!.containerd.length, 'cri-ts': cpu.get(call)!['cri-ts'] / wall.get(call)!['cri-ts'].length },
    ...(errors.has(call) ? { error: errors.get(call)! } : {}),
  }));
}

/** Median of three samples a second apart, after `settleMs`. */
async function rssOf(sides: Record<SideName, Side>, settleMs: number): Promise<{ bytes: Record<SideName, number>; detail: string }> {
  await sleep(settleMs);
  const samples: Record<SideName, number[]> = { containerd: [], 'cri-ts': [] };
  let detail = '';
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1000);
    for (const name of SIDES) {
      const tree = await treeRss(sides[name].daemon.pid());
      samples[name].push(tree.total);
      if (name === 'cri-ts') detail = tree.each.map((p) => `${(p.rss / 2 ** 20).toFixed(0)}`).join(' + ');
    }
  }
  return { bytes: { containerd: median(samples.containerd), 'cri-ts': median(samples['cri-ts']) }, detail };
}

async function podsUp(side: Side, count: number): Promise<void> {
  const missing = count - side.pods.length;
  if (missing <= 0) return;
  const started = Date.now();
  side.pods.push(...(await runBenchPods(side.cri.runtime, side.pods.length, missing, side.podOptions)));
  log(`${side.daemon.name}: ${side.pods.length} pods running (${((Date.now() - started) / 1000).toFixed(0)} s for ${missing})`);
}

async function podsDown(side: Side): Promise<void> {
  await removeBenchPods(side.cri.runtime, side.pods.map((p) => p.podSandboxId));
  side.pods = [];
  await removeCgroupTree(side.podOptions.cgroupRoot);
}

/** kill -9, start again, and poll ListPodSandbox on fresh connections until it lists `pods` pods. */
async function timeRestart(side: Side, pods: number): Promise<number> {
  const started = performance.now();
  await side.daemon.kill9();
  side.daemon.restart();
  for (;;) {
    try {
      const reply = await callOnce(side.daemon.socket, 'ListPodSandbox', {}, 2000);
      if (decodeReply<{ items: unknown[] }>('ListPodSandbox', reply).items.length >= pods) return performance.now() - started;
    } catch {
      // not up yet
    }
    if (performance.now() - started > 120_000) throw new Error(`${side.daemon.name} did not list ${pods} pods within 120 s of its restart`);
    await sleep(5);
  }
}

async function ready(daemon: BenchDaemon): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await callOnce(daemon.socket, 'Version', {}, 1000).then(() => true, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${daemon.name} does not answer on ${daemon.socket}`);
}

function markdown(report: Report, title: string): string {
  const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const mib = (v: number): string => (v / 2 ** 20).toFixed(0);
  const lines = [`### ${title}`, '', `Load: ${report.load.join('; ')}`, ''];
  if (report.calls.length) {
    lines.push(
      'Lists and status, median per call at the client (rounds alternate runtimes call by call); ratio cri-ts / containerd (below 1: cri-ts faster); CPU: the daemon\'s, per call.',
      '',
      '| call | pods | rounds | containerd ms | cri-ts ms | ratio | containerd CPU ms | cri-ts CPU ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of report.calls) {
      if (row.error) lines.push(`| ${row.call} | ${row.pods} | | | | error: ${row.error.replace(/\|/g, '/').slice(0, 120)} | | |`);
      else {
        const ratio = row.ms['cri-ts'] / row.ms.containerd;
        lines.push(
          `| ${row.call} | ${row.pods} | ${row.rounds} | ${ms(row.ms.containerd)} | ${ms(row.ms['cri-ts'])} | ${ratio.toFixed(2)} | ${row.cpuMs.containerd.toFixed(2)} | ${row.cpuMs['cri-ts'].toFixed(2)} |`,
        );
      }
    }
    lines.push('');
  }
  if (report.memory.length) {
    lines.push('RSS (MiB): cri-ts = cri-ts and every process below it (each in the last column); containerd = containerd with its CRI, shims not counted (nor for cri-ts).', '');
    lines.push('| state | containerd | cri-ts tree | ratio | cri-ts processes |', '| --- | ---: | ---: | ---: | --- |');
    for (const m of report.memory) {
      lines.push(`| ${m.state} | ${mib(m.bytes.containerd)} | ${mib(m.bytes['cri-ts'])} | ${(m.bytes['cri-ts'] / m.bytes.containerd).toFixed(2)} | ${m.detail} |`);
    }
    lines.push('');
  }
  for (const r of report.restart) {
    lines.push(`Restart: kill -9 to a ListPodSandbox listing all ${r.pods} pods (cri-ts: kill -9 cri-ts; containerd's CRI: kill -9 containerd), ${r.ms['cri-ts'].length} restarts each, alternating, each once the host's CPUs are quiet (under 20 % busy over half a second, at most 20 s after a 2 s pause).`, '');
    lines.push('| | containerd | cri-ts | ratio |', '| --- | ---: | ---: | ---: |');
    const c = median(r.ms.containerd);
    const t = median(r.ms['cri-ts']);
    lines.push(`| median ms | ${c.toFixed(0)} | ${t.toFixed(0)} | ${(t / c).toFixed(2)} |`);
    lines.push(`| each ms | ${r.ms.containerd.map((v) => v.toFixed(0)).join(', ')} | ${r.ms['cri-ts'].map((v) => v.toFixed(0)).join(', ')} | |`, '');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'containerd-dir': { type: 'string' },
      'cri-ts-config': { type: 'string' },
      'cri-ts-socket': { type: 'string' },
      pods: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '101' },
      restarts: { type: 'string', default: '5' },
      parts: { type: 'string', default: 'lists,memory,restart' },
      calls: { type: 'string' },
      'budget-s': { type: 'string', default: '60' },
      json: { type: 'string' },
      'log-dir': { type: 'string' },
      title: { type: 'string', default: 'cri-ts against containerd\'s own CRI' },
    },
  });
  if (!values['containerd-dir'] || !values['cri-ts-config'] || !values['cri-ts-socket']) {
    throw new Error('usage: cri-compare-bench.js --containerd-dir DIR --cri-ts-config FILE --cri-ts-socket SOCK [--pods N] [--rounds N] [--restarts N] [--parts lists,memory,restart]');
  }
  const podCount = Number(values.pods);
  budgetMs = Number(values['budget-s']) * 1000;
  const rounds = Number(values.rounds);
  const parts = new Set(values.parts.split(','));
  const only = values.calls?.split(',');
  await requireOfflineRegistry();
  const scratch = await mkdtemp(join(tmpdir(), 'cri-compare-'));
  const logDir = values['log-dir'] ?? scratch;

  const containerd = new ContainerdCriDaemon(values['containerd-dir']);
  await containerd.load();
  const nodeFlags = (process.env.CRI_TS_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const criTs = new CriTsDaemon(values['cri-ts-config'], values['cri-ts-socket'], join(logDir, 'cri-ts-bench.log'), nodeFlags);
  criTs.restart();
  const side = (daemon: BenchDaemon, short: string): Side => ({
    daemon,
    cri: criClient(daemon.socket),
    raw: new RawCriClient(daemon.socket),
    pods: [],
    podOptions: {
      prefix: `bench-${short}`,
      namespace: 'cri-bench',
      logDir: join(scratch, `${short}-logs`),
      cgroupRoot: `/crits-bench-${short}-${process.pid}`,
      progress: (n) => log(`${daemon.name}: ${n} pods started`),
    },
  });
  const sides: Record<SideName, Side> = { containerd: side(containerd, 'ctrd'), 'cri-ts': side(criTs, 'crits') };
  const report: Report = { load: [`start: ${load()}`], calls: [], memory: [], restart: [] };
  try {
    await ready(criTs);
    for (const name of SIDES) {
      for (const image of [PAUSE_IMAGE, BUSYBOX_IMAGE]) await sides[name].cri.images.PullImage({ image: { image } });
    }
    // 35 s: past cri-ts's first heap check (src/host/heap-trim.ts), which collects what start-up and the pulls left.
    if (parts.has('memory')) report.memory.push({ state: 'idle (images pulled, no pods, 35 s later)', ...(await rssOf(sides, 35_000)) });
    if (parts.has('lists')) {
      log('timing calls at 0 pods');
      report.calls.push(...(await timeCalls(sides, 0, rounds, (only ?? callsFor(sides['cri-ts']).map(([n]) => n)).filter((n) => n !== 'ExecSync'))));
      for (const name of SIDES) await podsUp(sides[name], 1);
      report.calls.push(...(await timeCalls(sides, 1, rounds, ['ExecSync'].filter((n) => !only || only.includes(n)))));
      report.load.push(`after 0 pods: ${load()}`);
    }
    if (parts.has('lists') || parts.has('memory')) {
      await podsUp(sides.containerd, podCount);
      const containerdAt = await rssOf(sides, 5000);
      await podsUp(sides['cri-ts'], podCount);
      const criTsAt = await rssOf(sides, 5000);
      report.memory.push({ state: `${podCount} pods`, bytes: { containerd: containerdAt.bytes.containerd, 'cri-ts': criTsAt.bytes['cri-ts'] }, detail: criTsAt.detail });
      if (parts.has('lists')) {
        log(`timing calls at ${podCount} pods`);
        report.calls.push(...(await timeCalls(sides, podCount, rounds, only)));
        report.load.push(`after ${podCount} pods: ${load()}`);
      }
      log('removing pods');
      for (const name of SIDES) await podsDown(sides[name]);
      // 70 s: cri-ts gives back a burst's heap at its next check, every 30 s (src/host/heap-trim.ts).
      if (parts.has('memory')) report.memory.push({ state: 'pods removed (70 s later)', ...(await rssOf(sides, 70_000)) });
    }
    if (parts.has('restart')) {
      for (const name of SIDES) await podsUp(sides[name], podCount);
      const times: Record<SideName, number[]> = { containerd: [], 'cri-ts': [] };
      for (let i = 0; i < Number(values.restarts); i++) {
        for (const name of i % 2 === 0 ? SIDES : [...SIDES].reverse()) {
          // Each runtime keeps working after its list answers (containerd's CRI for seconds, and cri-ts
          // reconnects when containerd restarts under it): the next restart starts on a quiet host.
          await sleep(2000);
          const waitedMs = await waitForQuietCpu();
          const ms = await timeRestart(sides[name], podCount);
          times[name].push(ms);
          log(`${name}: restart ${i + 1} listed ${podCount} pods after ${ms.toFixed(0)} ms (host quiet after ${waitedMs.toFixed(0)} ms more)`);
        }
      }
      report.restart.push({ pods: podCount, ms: times });
      report.memory.push({ state: `${podCount} pods, after the restarts`, ...(await rssOf(sides, 5000)) });
      report.load.push(`after restarts: ${load()}`);
      for (const name of SIDES) await podsDown(sides[name]);
    }
  } finally {
    for (const name of SIDES) {
      await podsDown(sides[name]).catch((err: unknown) => log(`${name}: removing pods: ${String(err)}`));
      sides[name].cri.close();
      sides[name].raw.close();
    }
    await criTs.stop();
  }
  const text = markdown(report, values.title);
  console.log(text);
  if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

