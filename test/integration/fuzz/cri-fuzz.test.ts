import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { apiDir } from '../../../src/package-paths.js';
import { criClient } from '../../harness/cri-client.js';
import { BUSYBOX_IMAGE } from '../../harness/offline-images.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { deepGroups, deepMessages, encodeRequest, hostileValue, leafFields, Rng, setPath } from './hostile-values.js';
import { type RawAnswer, rawCriClient } from './raw-cri.js';

/**
 * Hostile requests against every unary CRI call of a real cri-ts on a real
 * containerd. CI runs CRI_TS_FUZZ_CASES (default 200) cases per call with a
 * fixed seed; a long local run sets more cases and its own seed:
 *   CRI_TS_FUZZ_CASES=5000 CRI_TS_FUZZ_SEED=7 node --test dist/test/integration/fuzz/cri-fuzz.test.js
 */
const CASES = Number(process.env.CRI_TS_FUZZ_CASES ?? 200);
const SEED = Number(process.env.CRI_TS_FUZZ_SEED ?? 16);
/** CRI_TS_FUZZ_ONLY=ImageStatus,ExecSync narrows a local run to those calls. */
const ONLY = new Set((process.env.CRI_TS_FUZZ_ONLY ?? '').split(',').filter((name) => name !== ''));
/** What a call that does no real work must answer within. */
const PROMPT_MS = 1000;
const DEADLINE_MS = 20_000;
const FIELD_ERRORS = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'OUT_OF_RANGE', 'ALREADY_EXISTS']);
/** Calls that may do real work (a pod, a container, a process, a registry round trip) and so may take longer than PROMPT_MS. */
const REAL_WORK = new Set(['RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ExecSync', 'PullImage', 'UpdateContainerResources', 'Status', 'ImageFsInfo']);
const NO_SUCH_ID = 'f'.repeat(64);
/** kubelet's CRI client maximum, and cri-ts's receive limit. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const NO_SUCH_IMAGE = '127.0.0.1:5000/cri-ts-fuzz/none:1';

interface Case {
  what: string;
  bytes: Buffer;
  /** Proto names of the request's fields: a structured case's InvalidArgument must name one of them. */
  fields?: ReadonlySet<string>;
  structured: boolean;
  /** Over the gRPC server's receive limit: RESOURCE_EXHAUSTED, unread. */
  oversized?: boolean;
}

interface Failure {
  rpc: string;
  what: string;
  answer: RawAnswer;
  why: string;
}

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('hostile CRI requests', { timeout: 15 * 60_000 }, () => {
  let fixture: PodFixture;
  let containerId = '';
  let root: protobuf.Root;
  const tally = new Map<string, Map<string, number>>();
  const slowest = new Map<string, number>();
  const failures: Failure[] = [];
  /** One message per call and code, for the run's report. */
  const samples = new Map<string, string>();

  before(async () => {
    fixture = await startPodFixture('fuzz', { bridge: 'critsfz0', subnet: '10.246.0.0/16' });
    containerId = (await fixture.run(['sleep', '3600'])).id;
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => join(apiDir, target);
    root.loadSync('cri/v1/api.proto');
  });

  after(async () => {
    await fixture?.stop();
  });

  /** The usable request each call's cases start from: real IDs for calls that only read, IDs of nothing for calls that destroy. */
  function baseRequest(rpc: string, rng: Rng): Record<string, unknown> {
    const podId = fixture.podId;
    const podConfig = { metadata: { name: 'fuzz-pod', namespace: 'itest', uid: 'fuzz-uid' }, logDirectory: fixture.logDir, linux: {} };
    const realWork = rng.next() < 0.08;
    const bases: Record<string, Record<string, unknown>> = {
      Version: { version: 'v1' },
      Status: { verbose: true },
      RuntimeConfig: {},
      RunPodSandbox: {
        config: { metadata: { name: `fz${rng.int(1000)}`, namespace: 'fuzz', uid: 'fz-uid', attempt: 0 }, logDirectory: join(fixture.stack.dir, 'fuzz-logs'), linux: {} },
        // Mostly a handler that does not exist: the config is checked, and then nothing is created.
        runtimeHandler: realWork ? '' : 'fuzz-no-such-handler',
      },
      StopPodSandbox: { podSandboxId: NO_SUCH_ID },
      RemovePodSandbox: { podSandboxId: NO_SUCH_ID },
      PodSandboxStatus: { podSandboxId: podId, verbose: true },
      ListPodSandbox: { filter: { id: podId.slice(0, 8), labelSelector: { a: 'b' } } },
      CreateContainer: {
        podSandboxId: podId,
        config: { metadata: { name: `fz${rng.int(1000)}` }, image: { image: realWork ? BUSYBOX_IMAGE : NO_SUCH_IMAGE }, command: ['true'], logPath: 'fz.log', linux: {} },
        sandboxConfig: podConfig,
      },
      StartContainer: { containerId: NO_SUCH_ID },
      StopContainer: { containerId: NO_SUCH_ID, timeout: 1 },
      RemoveContainer: { containerId: NO_SUCH_ID },
      ListContainers: { filter: { podSandboxId: podId } },
      ContainerStatus: { containerId, verbose: true },
      UpdateContainerResources: { containerId: NO_SUCH_ID, linux: { memoryLimitInBytes: 64 * 1024 * 1024 } },
      ReopenContainerLog: { containerId },
      ExecSync: { containerId, cmd: ['true'], timeout: 5 },
      Exec: { containerId, cmd: ['true'], stdout: true },
      Attach: { containerId, stdout: true },
      PortForward: { podSandboxId: podId, port: [80] },
      ContainerStats: { containerId },
      ListContainerStats: { filter: { podSandboxId: podId } },
      PodSandboxStats: { podSandboxId: podId },
      ListPodSandboxStats: { filter: { id: podId } },
      UpdateRuntimeConfig: { runtimeConfig: { networkConfig: { podCidr: '10.246.0.0/24' } } },
      CheckpointContainer: { containerId, location: join(fixture.stack.dir, 'checkpoint.tar') },
      ListMetricDescriptors: {},
      ListPodSandboxMetrics: {},
      RuntimeConfig2: {},
      UpdatePodSandboxResources: { podSandboxId: NO_SUCH_ID },
      CheckpointPod: { podSandboxId: NO_SUCH_ID, outputPath: join(fixture.stack.dir, 'cp') },
      RestorePod: { checkpointPath: join(fixture.stack.dir, 'cp') },
      ListImages: { filter: { image: { image: BUSYBOX_IMAGE } } },
      ImageStatus: { image: { image: BUSYBOX_IMAGE }, verbose: true },
      PullImage: { image: { image: NO_SUCH_IMAGE } },
      RemoveImage: { image: { image: NO_SUCH_IMAGE } },
      ImageFsInfo: {},
    };
    return structuredClone(bases[rpc] ?? {});
  }

  function casesFor(rpc: string, type: protobuf.Type, rng: Rng): Case[] {
    const leaves = leafFields(type);
    const fields = new Set(leaves.map((l) => snake(l.field.name)));
    const base = (): Record<string, unknown> => baseRequest(rpc, rng);
    const encodedBase = encodeRequest(type, base());
    const cases: Case[] = [
      { what: 'empty message', bytes: Buffer.alloc(0), structured: true },
      { what: 'start-group tags 100000 deep', bytes: deepGroups(100_000), structured: false },
      { what: 'length-delimited fields 2000 deep', bytes: deepMessages(2000), structured: false },
      { what: 'the request cut one byte short', bytes: encodedBase.subarray(0, Math.max(0, encodedBase.length - 1)), structured: false },
      { what: 'a message past 16 MiB', bytes: Buffer.concat([encodedBase, Buffer.from([(15 << 3) | 2, 0x81, 0x80, 0x80, 0x08]), Buffer.alloc(MAX_REQUEST_BYTES + 1)]), structured: false, oversized: true },
    ];
    while (cases.length < CASES) {
      const roll = rng.next();
      if (roll < 0.08) {
        cases.push({ what: 'random bytes', bytes: rng.bytes(rng.pick([1, 7, 64, 1000])), structured: false });
      } else if (roll < 0.16) {
        cases.push({ what: 'truncated encoding', bytes: encodedBase.subarray(0, rng.int(encodedBase.length)), structured: false });
      } else if (leaves.length > 0) {
        const request = base();
        const leaf = rng.pick(leaves);
        const value = hostileValue(rng, leaf);
        setPath(request, leaf.path, value);
        let bytes: Buffer;
        try {
          bytes = encodeRequest(type, request);
        } catch {
          continue; // a value the encoder itself refuses is no request
        }
        // Past kubelet's 16 MiB the gRPC server refuses the message unread (the case below).
        if (bytes.length > MAX_REQUEST_BYTES) continue;
        const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : Array.isArray(value) ? `[${value.length} items]` : JSON.stringify(value)?.slice(0, 60);
        cases.push({ what: `${leaf.path.join('.')} = ${shown}`, bytes, fields, structured: true });
      } else {
        cases.push({ what: 'random bytes', bytes: rng.bytes(rng.pick([1, 64])), structured: false });
      }
    }
    return cases;
  }

  function judge(rpc: string, c: Case, answer: RawAnswer): string | undefined {
    if (answer.code === 'no answer') return 'no answer before the deadline';
    if (answer.code === 'UNKNOWN' || answer.code === 'INTERNAL') return `answered ${answer.code}`;
    if (c.oversized) return answer.code === 'RESOURCE_EXHAUSTED' ? undefined : `answered ${answer.code} to a message over the limit`;
    // Decoding is work too: a message of several MiB (70000 ID mappings) gets a second per MiB on top.
    const allowedMs = PROMPT_MS + (c.bytes.length / (1024 * 1024)) * 1000;
    if (answer.ms > allowedMs && !REAL_WORK.has(rpc)) return `took ${Math.round(answer.ms)} ms`;
    if (answer.details.length > 9000) return `status message of ${answer.details.length} characters`;
    if (answer.code === 'OK' || answer.code === 'UNIMPLEMENTED') return undefined;
    if (answer.code === 'DEADLINE_EXCEEDED' && rpc === 'ExecSync') return undefined;
    if (answer.code === 'RESOURCE_EXHAUSTED' && ['Exec', 'Attach', 'PortForward'].includes(rpc)) return undefined;
    if (!FIELD_ERRORS.has(answer.code)) return `answered ${answer.code}`;
    const names = (text: string): boolean => [...(c.fields ?? [])].some((f) => new RegExp(`\\b${f}\\b`).test(text));
    if (c.structured && c.fields && answer.code === 'INVALID_ARGUMENT' && !names(answer.details) && !/request is not a valid/.test(answer.details)) {
      return 'InvalidArgument names no field of the request';
    }
    return undefined;
  }

  it(`answers ${CASES} hostile requests per unary call promptly, with a field error, and stays up`, async () => {
    const raw = rawCriClient(fixture.stack.criTs.socket);
    const services = ['runtime.v1.RuntimeService', 'runtime.v1.ImageService'].map((name) => root.lookupService(name));
    const rng = new Rng(SEED);
    try {
      for (const service of services) {
        for (const method of service.methodsArray) {
          if (method.requestStream || method.responseStream) continue;
          if (ONLY.size > 0 && !ONLY.has(method.name)) continue;
          method.resolve();
          const type = method.resolvedRequestType as protobuf.Type;
          const counts = new Map<string, number>();
          tally.set(method.name, counts);
          for (const c of casesFor(method.name, type, rng)) {
            const answer = await raw.call(`/${service.fullName.slice(1)}/${method.name}`, c.bytes, DEADLINE_MS);
            counts.set(answer.code, (counts.get(answer.code) ?? 0) + 1);
            if (!samples.has(`${method.name} ${answer.code}`)) samples.set(`${method.name} ${answer.code}`, `[${c.what}] ${answer.details.slice(0, 160)}`);
            slowest.set(method.name, Math.max(slowest.get(method.name) ?? 0, answer.ms));
            const why = judge(method.name, c, answer);
            if (why) failures.push({ rpc: method.name, what: c.what, answer: { ...answer, details: answer.details.slice(0, 200) }, why });
          }
        }
      }
    } finally {
      raw.close();
    }
    const report = [...tally].map(([rpc, counts]) => `${rpc}: ${[...counts].map(([code, n]) => `${code} ${n}`).join(', ')}; slowest ${Math.round(slowest.get(rpc) ?? 0)} ms`);
    console.log(`fuzz seed ${SEED}, ${CASES} cases per call\n${report.join('\n')}`);
    if (process.env.CRI_TS_FUZZ_SAMPLES) console.log([...samples].map(([k, v]) => `${k}: ${v}`).join('\n'));
    const alive = await criClient(fixture.stack.criTs.socket).runtime.Version({ version: 'v1' });
    assert.equal(alive.runtimeName, 'cri-ts', 'cri-ts still answers');
    const listed = failures.map((f) => `${f.rpc} [${f.what}]: ${f.why} (${f.answer.code} in ${Math.round(f.answer.ms)} ms: ${f.answer.details})`);
    assert.equal(failures.length, 0, `${failures.length} bad answers:\n${listed.slice(0, 60).join('\n')}`);
  });

  it('leaves nothing behind once everything it made is removed', async () => {
    const cri = criClient(fixture.stack.criTs.socket);
    try {
      const pods = (await cri.runtime.ListPodSandbox({})).items.map((p) => p.id);
      const containers = (await cri.runtime.ListContainers({})).containers.map((c) => c.id);
      for (const id of containers) await cri.runtime.RemoveContainer({ containerId: id });
      for (const id of pods) {
        await cri.runtime.StopPodSandbox({ podSandboxId: id });
        await cri.runtime.RemovePodSandbox({ podSandboxId: id });
      }
      assert.deepEqual((await cri.runtime.ListPodSandbox({})).items, []);
      assert.deepEqual((await cri.runtime.ListContainers({})).containers, []);
      const { client, dir } = fixture.stack;
      assert.deepEqual((await client.containers.List({ filters: [] })).containers.map((c) => c.id), [], 'no containerd container');
      assert.deepEqual((await client.leases.List({ filters: [] })).leases.map((l) => l.id), [], 'no lease');
      const active: string[] = [];
      for await (const page of client.listSnapshots({ snapshotter: 'overlayfs', filters: [] })) {
        for (const info of page.info) if (info.kind !== 'COMMITTED') active.push(info.name);
      }
      assert.deepEqual(active, [], 'no active snapshot (only image layers)');
      const netns = await readdir('/run/netns').catch(() => [] as string[]);
      const ours = [...pods].map((id) => `cri-ts-${id.slice(0, 32)}`);
      assert.deepEqual(netns.filter((n) => ours.includes(n)), [], 'no netns of these pods');
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => line.includes(dir));
      assert.deepEqual(mounts, [], 'no mount under the test directory');
      const state = join(dir, 'cri-ts-state');
      assert.deepEqual(await readdir(join(state, 'containers')).catch(() => []), [], 'no container state (FIFO) directory');
      assert.deepEqual(await readdir(join(state, 'pods')).catch(() => []), [], 'no pod state directory');
    } finally {
      cri.close();
    }
  });
});
