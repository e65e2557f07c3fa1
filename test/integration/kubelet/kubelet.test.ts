import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { type KubeletFixture, startKubeletFixture } from '../../harness/kubelet-fixture.js';
import type { TestKubelet } from '../../harness/kubelet.js';
import { isAlive, waitFor } from '../../harness/processes.js';
import { type ApiPod, container, containerStatus, findPod, isReady, listPods, NAMESPACE, staticPod, waitForPod } from './kubelet-api.js';
import { execOverSpdy, execOverWebSocket, portForwardOverSpdyTunnel, portForwardOverWebSocket } from './kubelet-streams.js';

const exec = promisify(execFile);

// Names and ports of this file's own: bridge, subnet, kubelet API port (healthz on the next), hostPort, cgroup root.
const NODE = 'crits-kubelet-node';
const KUBELET_PORT = 10650;
const HOST_PORT = 31080;
const CGROUP_ROOT = '/crits-kubelet-e2e';
const full = (name: string): string => `${name}-${NODE}`;
const idOf = (containerID: string | undefined): string => (containerID ?? '').replace(/^cri-ts:\/\//, '');

/** busybox sh as PID 1 ignores SIGTERM; this loop ends on it, so a kill takes no grace period. */
const IDLE = "trap 'exit 0' TERM; while true; do sleep 1; done";

const WEB_POD = staticPod('web', {
  containers: [
    container('web', 'mkdir -p /www && echo web-page > /www/index.html && echo web: starting && echo web: serving && exec httpd -f -p 8080 -h /www', {
      ports: [{ containerPort: 8080, hostPort: HOST_PORT, hostIP: '127.0.0.1' }],
      readinessProbe: { exec: { command: ['cat', '/www/index.html'] }, periodSeconds: 1 },
    }),
  ],
});

describe('kubelet v1.37.2 standalone on cri-ts', () => {
  let fixture: KubeletFixture;
  let kubelet: TestKubelet;
  let socket: string;
  const web = { namespace: NAMESPACE, pod: full('web'), container: 'web' };

  before(
    async () => {
      fixture = await startKubeletFixture('kubelet', { bridge: 'critskub0', subnet: '10.237.0.0/16', port: KUBELET_PORT, cgroupRoot: CGROUP_ROOT, nodeName: NODE });
      kubelet = fixture.kubelet;
      socket = fixture.stack.criTs.socket;
      await kubelet.writeManifest('web', WEB_POD);
      await waitForPod(kubelet, full('web'), 'ready', isReady, 120_000);
    },
    // longer than the inner timeouts together: a slow start fails inside the fixture, which then cleans up after itself
    { timeout: 300_000 },
  );

  after(
    async () => {
      await fixture?.stop();
    },
    { timeout: 240_000 },
  );

  const podLog = async (pod: string, name: string, query = ''): Promise<string> => {
    const response = await kubelet.get(`/containerLogs/${NAMESPACE}/${full(pod)}/${name}${query}`);
    assert.equal(response.status, 200, response.body);
    return response.body;
  };

  describe('static pods', { concurrency: true }, () => {
    it('exec readiness and liveness probes run in the container (ExecSync); a failing liveness probe restarts it', { timeout: 120_000 }, async () => {
      await kubelet.writeManifest(
        'probes',
        staticPod('probes', {
          containers: [
            container('app', `touch /tmp/alive; ${IDLE}`, {
              readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
              livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
            }),
          ],
        }),
      );
      const name = full('probes');
      const running = await waitForPod(kubelet, name, 'app running', (p) => containerStatus(p, 'app')?.state.running !== undefined);
      const first = containerStatus(running, 'app')?.containerID ?? '';
      assert.match(first, /^cri-ts:\/\/[0-9a-f]{64}$/);
      // several readiness periods with /tmp/ready missing: running, not ready, not restarted
      await sleep(3000);
      const unready = containerStatus(await findPod(kubelet, name), 'app');
      assert.equal(unready?.ready, false);
      assert.equal(unready?.restartCount, 0);

      assert.equal((await crictl(socket, ['exec', idOf(first), 'touch', '/tmp/ready'])).code, 0);
      await waitForPod(kubelet, name, 'ready once /tmp/ready exists', (p) => containerStatus(p, 'app')?.ready === true && isReady(p));

      assert.equal((await crictl(socket, ['exec', idOf(first), 'rm', '/tmp/alive'])).code, 0);
      const restarted = await waitForPod(kubelet, name, 'restarted by its liveness probe', (p) => {
        const app = containerStatus(p, 'app');
        return (app?.restartCount ?? 0) >= 1 && app?.state.running !== undefined;
      });
      const app = containerStatus(restarted, 'app');
      assert.equal(app?.restartCount, 1);
      assert.notEqual(app?.containerID, first);
      assert.equal(app?.lastState.terminated?.containerID, first);
      // the new container's /tmp has no "ready" file: not ready until it has one
      assert.equal(app?.ready, false);
      await kubelet.removeManifest('probes');
    });

    it('a crash-looping container: its restart count rises and its exit code is reported', { timeout: 120_000 }, async () => {
      await kubelet.writeManifest('crashloop', staticPod('crashloop', { containers: [container('crash', 'echo attempt; exit 7')] }));
      const name = full('crashloop');
      let sawBackOff = false;
      const pod = await waitForPod(kubelet, name, 'restarted twice, last exit reported', (p) => {
        const crash = containerStatus(p, 'crash');
        sawBackOff ||= crash?.state.waiting?.reason === 'CrashLoopBackOff';
        return (crash?.restartCount ?? 0) >= 2 && crash?.lastState.terminated !== undefined;
      });
      const crash = containerStatus(pod, 'crash');
      assert.equal(crash?.lastState.terminated?.exitCode, 7);
      assert.equal(crash?.lastState.terminated?.reason, 'Error');
      if (!sawBackOff) await waitForPod(kubelet, name, 'waiting in CrashLoopBackOff', (p) => containerStatus(p, 'crash')?.state.waiting?.reason === 'CrashLoopBackOff', 30_000);
      const more = await waitForPod(kubelet, name, 'restart count still rising', (p) => (containerStatus(p, 'crash')?.restartCount ?? 0) > (crash?.restartCount ?? 0), 30_000);
      assert.equal(containerStatus(more, 'crash')?.lastState.terminated?.exitCode, 7);
      // the previous attempt's log, through kubelet; kubelet may be between attempts (its previous container's log not yet
      // known), so it is asked again until it answers
      let previous = '';
      await waitFor('the previous attempt\'s log through kubelet', async () => (previous = await podLog('crashloop', 'crash', '?previous=true')) === 'attempt\n', 15_000).catch(() => undefined);
      assert.equal(previous, 'attempt\n');
      await kubelet.removeManifest('crashloop');
    });

    it('a hostPort on 127.0.0.1 reaches the pod', async () => {
      const pod = await findPod(kubelet, full('web'));
      assert.match(pod?.status?.podIP ?? '', /^10\.237\./);
      const { stdout } = await exec('curl', ['-sf', '-m', '5', `http://127.0.0.1:${HOST_PORT}/index.html`]);
      assert.equal(stdout, 'web-page\n');
    });

    it('an init container runs to completion before the app container starts', { timeout: 120_000 }, async () => {
      const mount = { volumeMounts: [{ name: 'work', mountPath: '/work' }] };
      await kubelet.writeManifest(
        'init',
        staticPod('init', {
          volumes: [{ name: 'work', emptyDir: {} }],
          initContainers: [container('prepare', 'sleep 2; echo prepared > /work/marker', mount)],
          containers: [container('app', `cat /work/marker; ${IDLE}`, mount)],
        }),
      );
      const pod = await waitForPod(kubelet, full('init'), 'app running', (p) => containerStatus(p, 'app')?.state.running !== undefined);
      const prepare = containerStatus(pod, 'prepare')?.state.terminated;
      const started = containerStatus(pod, 'app')?.state.running?.startedAt;
      assert.equal(prepare?.exitCode, 0);
      assert.equal(prepare?.reason, 'Completed');
      assert.ok(started && prepare?.finishedAt && Date.parse(prepare.finishedAt) <= Date.parse(started), `init finished ${prepare?.finishedAt}, app started ${started}`);
      assert.equal(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
      // the app read what the init container left, so it started after it
      await waitFor('the app log', async () => (await podLog('init', 'app')) === 'prepared\n', 10_000);
    });

    it('an emptyDir is shared by two containers', { timeout: 120_000 }, async () => {
      const mount = { volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] };
      await kubelet.writeManifest(
        'shared',
        staticPod('shared', {
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [
            container('writer', `echo from-writer > /scratch/note; ${IDLE}`, mount),
            container('reader', `until [ -f /scratch/note ]; do sleep 0.2; done; cat /scratch/note; ${IDLE}`, mount),
          ],
        }),
      );
      const pod = await waitForPod(kubelet, full('shared'), 'both running', (p) => ['writer', 'reader'].every((c) => containerStatus(p, c)?.state.running !== undefined));
      await waitFor('the reader to print the note', async () => (await podLog('shared', 'reader')) === 'from-writer\n', 20_000);
      // the volume is kubelet's, on the host under its root dir
      const onHost = join(fixture.stack.dir, 'kubelet', 'root', 'pods', pod.metadata.uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch', 'note');
      assert.equal(await readFile(onHost, 'utf8'), 'from-writer\n');
    });

    it('container logs through kubelet API (GET /containerLogs/{namespace}/{pod}/{container})', async () => {
      assert.equal(await podLog('web', 'web'), 'web: starting\nweb: serving\n');
      assert.equal(await podLog('web', 'web', '?tailLines=1'), 'web: serving\n');
      assert.equal(await podLog('web', 'web', '?limitBytes=4'), 'web:');
      assert.match(await podLog('web', 'web', '?timestamps=true'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z web: starting\n\S+Z web: serving\n$/);
      const missing = await kubelet.get(`/containerLogs/${NAMESPACE}/${full('web')}/no-such-container`);
      assert.notEqual(missing.status, 200);
      assert.match(missing.body, /no-such-container/);
    });

    it('exec through kubelet API over WebSocket (v5.channel.k8s.io, kubelet translates to SPDY for cri-ts)', async () => {
      const failed = await execOverWebSocket(kubelet.url, web, ['sh', '-c', 'echo out; echo err >&2; tr a-z A-Z; exit 3'], 'hello kubelet\n');
      assert.equal(failed.stdout, 'out\nHELLO KUBELET\n');
      assert.equal(failed.stderr, 'err\n');
      assert.equal(failed.status.reason, 'NonZeroExitCode');
      assert.deepEqual(failed.status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
      const ok = await execOverWebSocket(kubelet.url, web, ['cat', '/www/index.html']);
      assert.equal(ok.stdout, 'web-page\n');
      assert.equal(ok.status.status, 'Success');
    });

    it('exec through kubelet API over SPDY (v4.channel.k8s.io, proxied to cri-ts)', async () => {
      const result = await execOverSpdy(kubelet.url, web, ['sh', '-c', 'echo out; echo err >&2; tr a-z A-Z; exit 4'], 'over spdy\n');
      assert.equal(result.protocol, 'v4.channel.k8s.io');
      assert.equal(result.stdout, 'out\nOVER SPDY\n');
      assert.equal(result.stderr, 'err\n');
      assert.deepEqual(result.status.details?.causes, [{ reason: 'ExitCode', message: '4' }]);
    });

    it('port-forward through kubelet API over WebSocket (portforward.k8s.io)', async () => {
      const response = await portForwardOverWebSocket(kubelet.url, NAMESPACE, full('web'), 8080, 'GET /index.html HTTP/1.0\r\n\r\n');
      assert.match(response, /^HTTP\/1\.[01] 200 OK\r\n/);
      assert.ok(response.endsWith('\r\n\r\nweb-page\n'), response);
    });

    it('port-forward through kubelet API as kubectl 1.37 sends it (SPDY/3.1+portforward.k8s.io tunnel)', async () => {
      const response = await portForwardOverSpdyTunnel(kubelet.url, NAMESPACE, full('web'), 8080, 'GET /index.html HTTP/1.0\r\n\r\n');
      assert.match(response, /^HTTP\/1\.[01] 200 OK\r\n/);
      assert.ok(response.endsWith('\r\n\r\nweb-page\n'), response);
    });

    it("deleting a manifest removes the pod's containers, sandbox and netns", { timeout: 180_000 }, async () => {
      await kubelet.writeManifest('doomed', staticPod('doomed', { containers: [container('app', IDLE)] }));
      const name = full('doomed');
      const pod = await waitForPod(kubelet, name, 'running', (p) => containerStatus(p, 'app')?.state.running !== undefined);
      const sandboxes = await crictlJson<{ items: { id: string }[] }>(socket, ['pods', '--label', `io.kubernetes.pod.uid=${pod.metadata.uid}`]);
      assert.equal(sandboxes.items.length, 1);
      const sandboxId = sandboxes.items[0]?.id ?? '';
      const netns = (await crictlJson<{ info: { netNamespacePath: string } }>(socket, ['inspectp', sandboxId])).info.netNamespacePath;
      assert.ok(existsSync(netns), `netns ${netns}`);
      const podCgroup = `/sys/fs/cgroup/memory${CGROUP_ROOT}/kubepods/besteffort/pod${pod.metadata.uid}`;
      assert.ok(existsSync(podCgroup), podCgroup);

      await kubelet.removeManifest('doomed');
      await waitFor('kubelet to forget the pod', async () => (await findPod(kubelet, name)) === undefined, 30_000);
      // kubelet stops the pod at once and removes its sandbox on its next container GC (once a minute)
      await waitFor('the sandbox to be removed', async () => (await crictl(socket, ['inspectp', sandboxId])).code !== 0, 150_000);
      assert.equal((await crictl(socket, ['ps', '-a', '-q', '--pod', sandboxId])).stdout.trim(), '');
      assert.equal(existsSync(netns), false, `netns ${netns} left behind`);
      assert.equal((await readFile('/proc/self/mounts', 'utf8')).includes(netns), false);
      assert.equal(existsSync(podCgroup), false, `${podCgroup} left behind`);
    });

    it("/stats/summary (PodAndContainerStatsFromCRI) returns this node's pods and containers with CPU and memory", { timeout: 120_000 }, async () => {
      const busy = 'while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 1; done';
      await kubelet.writeManifest('stats', staticPod('stats', { containers: [container('busy', busy), container('idle', IDLE)] }));
      const pod = await waitForPod(kubelet, full('stats'), 'both running', (p) => ['busy', 'idle'].every((c) => containerStatus(p, c)?.state.running !== undefined));
      interface Usage {
        cpu?: { usageNanoCores?: number; usageCoreNanoSeconds?: number };
        memory?: { workingSetBytes?: number };
      }
      interface Summary {
        node: { nodeName: string };
        pods: (Usage & { podRef: { name: string; namespace: string; uid: string }; containers?: (Usage & { name: string })[] })[];
      }
      let summary: Summary | undefined;
      const statsOf = (name: string) => summary?.pods.find((p) => p.podRef.name === full(name));
      // the CPU rate needs two samples of the cgroup counters
      await waitFor('non-zero CPU rates for the stats pod', async () => {
        summary = JSON.parse((await kubelet.get('/stats/summary')).body) as Summary;
        const stats = statsOf('stats');
        return (stats?.cpu?.usageNanoCores ?? 0) > 0 && (stats?.containers?.find((c) => c.name === 'busy')?.cpu?.usageNanoCores ?? 0) > 0;
      }, 30_000).catch(() => undefined);
      assert.ok(summary);
      assert.equal(summary.node.nodeName, NODE);
      const stats = statsOf('stats');
      assert.deepEqual(stats?.podRef, { name: full('stats'), namespace: NAMESPACE, uid: pod.metadata.uid });
      assert.ok((stats?.cpu?.usageNanoCores ?? 0) > 0, `pod CPU rate ${JSON.stringify(stats?.cpu)}`);
      assert.ok((stats?.cpu?.usageCoreNanoSeconds ?? 0) > 0);
      assert.ok((stats?.memory?.workingSetBytes ?? 0) > 0, `pod memory ${JSON.stringify(stats?.memory)}`);
      assert.deepEqual(stats?.containers?.map((c) => c.name).sort(), ['busy', 'idle']);
      for (const c of stats?.containers ?? []) {
        assert.ok((c.cpu?.usageCoreNanoSeconds ?? 0) > 0, `${c.name} CPU ${JSON.stringify(c.cpu)}`);
        assert.ok((c.memory?.workingSetBytes ?? 0) > 0, `${c.name} memory ${JSON.stringify(c.memory)}`);
      }
      assert.ok((stats?.containers?.find((c) => c.name === 'busy')?.cpu?.usageNanoCores ?? 0) > 0);
      // every pod of this kubelet running before the summary and still there after it is in it (other tests add and remove pods meanwhile)
      const runningBefore = (await listPods(kubelet)).filter((p) => p.status?.phase === 'Running').map((p) => p.metadata.name);
      summary = JSON.parse((await kubelet.get('/stats/summary')).body) as Summary;
      const after = new Set((await listPods(kubelet)).map((p) => p.metadata.name));
      const inSummary = new Set(summary.pods.map((p) => p.podRef.name));
      assert.deepEqual(runningBefore.filter((name) => after.has(name) && !inSummary.has(name)), []);
      assert.deepEqual(statsOf('web')?.containers?.map((c) => c.name), ['web']);
    });

    // kubelet serves these families from cri-ts's ListMetricDescriptors and ListPodSandboxMetrics; with those answering empty lists it has none.
    it('/metrics/cadvisor (PodAndContainerStatsFromCRI) has container_* families for the pods, from ListPodSandboxMetrics', { timeout: 120_000 }, async () => {
      // CRI metric values are whole numbers, so CPU seconds read 0 until a container has used a whole second (as with containerd):
      // this one spins for 3 s, then idles.
      await kubelet.writeManifest('spin', staticPod('spin', { containers: [container('spin', `timeout 3 sh -c 'while :; do :; done'; ${IDLE}`)] }));
      const sampleOf = (body: string, family: string, pod: string, name: string): number | undefined => {
        const line = body.split('\n').find((l) => l.startsWith(`${family}{`) && l.includes(`container="${name}"`) && l.includes(`pod="${full(pod)}"`));
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf('}') + 1).trim().split(' ')[0]);
      };
      let body = '';
      await waitFor('a whole CPU second of the spinning container in /metrics/cadvisor', async () => {
        body = (await kubelet.get('/metrics/cadvisor')).body;
        return (sampleOf(body, 'container_cpu_usage_seconds_total', 'spin', 'spin') ?? 0) >= 1;
      }, 60_000).catch(() => undefined);
      const families = [...new Set(body.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]))];
      assert.ok((sampleOf(body, 'container_cpu_usage_seconds_total', 'spin', 'spin') ?? 0) >= 1, `container spin's CPU seconds; families: ${families.join(', ')}`);
      for (const name of ['spin', 'web']) {
        const pod = name;
        assert.ok((sampleOf(body, 'container_memory_working_set_bytes', pod, name) ?? 0) > 0, `container ${name}'s working set`);
      }
      await kubelet.removeManifest('spin');
    });
  });

  describe('cri-ts killed under a live kubelet', () => {
    /** What must survive a runtime restart: per pod its UID, IP, sandbox IDs and containers with their IDs and restart counts. */
    const snapshot = async (names: string[]) => {
      const pods = await listPods(kubelet);
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const pod = pods.find((p: ApiPod) => p.metadata.name === full(name));
        const sandboxes = await crictlJson<{ items: { id: string; state: string }[] }>(socket, ['pods', '--label', `io.kubernetes.pod.uid=${pod?.metadata.uid}`]);
        out[name] = {
          uid: pod?.metadata.uid,
          podIP: pod?.status?.podIP,
          sandboxes: sandboxes.items.map((s) => `${s.id} ${s.state}`).sort(),
          containers: [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].map((c) => `${c.name} ${c.containerID} restarts=${c.restartCount}`),
        };
      }
      return out;
    };

    it('kill -9 of cri-ts keeps pod and container IDs, IPs and restart counts; the pods keep serving and logging', { timeout: 120_000 }, async () => {
      await kubelet.writeManifest('ticker', staticPod('ticker', { containers: [container('tick', "i=0; trap 'exit 0' TERM; while true; do i=$((i+1)); echo $i; sleep 0.3; done")] }));
      await waitForPod(kubelet, full('ticker'), 'ticking', (p) => containerStatus(p, 'tick')?.state.running !== undefined);
      // pods without a liveness probe: kubelet counts a probe that errors while the runtime is down as failed
      const present = (await listPods(kubelet)).map((p) => p.metadata.name);
      const stable = ['web', 'init', 'shared', 'stats', 'ticker'].filter((n) => present.includes(full(n)));
      assert.ok(stable.includes('web'));
      const before = await snapshot(stable);

      const pid = fixture.stack.criTs.pid;
      process.kill(pid, 'SIGKILL');
      await waitFor('cri-ts to die', () => !isAlive(pid), 10_000);
      await sleep(2000); // kubelet finds the runtime gone; the ticker writes into a FIFO nobody reads
      await fixture.stack.criTs.start();
      // one PLEG relist a second and a full pod sync every syncFrequency (5 s): give kubelet two of each
      await sleep(12_000);

      assert.deepEqual(await snapshot(stable), before);
      const { stdout } = await exec('curl', ['-sf', '-m', '5', `http://127.0.0.1:${HOST_PORT}/index.html`]);
      assert.equal(stdout, 'web-page\n');
      // the restarted cri-ts has a new streaming server; kubelet asks it again
      assert.equal((await execOverWebSocket(kubelet.url, web, ['echo', 'still here'])).stdout, 'still here\n');
      // lines written while nobody read the container's FIFO are in the log, none lost, none twice
      const ticks = (await podLog('ticker', 'tick')).trim().split('\n').map(Number);
      assert.ok(ticks.length > 30, `only ${ticks.length} lines`);
      assert.deepEqual(ticks, ticks.map((_, i) => i + 1));
    });
  });
});
