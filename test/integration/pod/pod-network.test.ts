import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';

const exec = promisify(execFile);
const HOST_PORT = 18280;

async function leftovers(): Promise<{ netns: number; veth: number; shmMounts: number }> {
  const netns = (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith('cri-ts-')).length;
  const veth = (await exec('ip', ['-o', 'link', 'show', 'type', 'veth'])).stdout.split('\n').filter(Boolean).length;
  const shmMounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes('/pods/') && l.includes('/shm ')).length;
  return { netns, veth, shmMounts };
}

describe('pod networking and many pods', () => {
  let fixture: PodFixture;

  before(async () => {
    fixture = await startPodFixture('pnet', { bridge: 'critspn0', subnet: '10.215.0.0/16' }, { port_mappings: [{ container_port: 8080, host_port: HOST_PORT }] });
  });

  after(async () => {
    await fixture?.stop();
  });

  it('serves from inside the pod on its IP and on the mapped host port', async () => {
    await fixture.run(['sh', '-c', 'mkdir -p /www && echo from-pod > /www/index.html && httpd -f -p 8080 -h /www']);
    const pod = await crictlJson<{ status: { network: { ip: string } } }>(fixture.stack.criTs.socket, ['inspectp', fixture.podId]);
    const ip = pod.status.network.ip;
    await waitFor('httpd on the pod IP', async () => exec('curl', ['-sf', '-m', '2', `http://${ip}:8080/index.html`]).then(() => true, () => false), 10_000);
    assert.equal((await exec('curl', ['-s', `http://${ip}:8080/index.html`])).stdout, 'from-pod\n');
    assert.equal((await exec('curl', ['-s', '-m', '5', `http://127.0.0.1:${HOST_PORT}/index.html`])).stdout, 'from-pod\n');
  });

  it('refuses a pod without a name and an unknown runtime handler, naming the field', async () => {
    const cri = criClient(fixture.stack.criTs.socket);
    try {
      await assert.rejects(
        cri.runtime.RunPodSandbox({ config: { metadata: { name: '', namespace: 'ns', uid: 'u' } } }),
        (e: unknown) => grpcCode(e) === 'INVALID_ARGUMENT' && String(e).includes('config.metadata.name'),
      );
      await assert.rejects(
        cri.runtime.RunPodSandbox({ config: { metadata: { name: 'h', namespace: 'ns', uid: 'u-h' } }, runtimeHandler: 'no-such-handler' }),
        (e: unknown) => grpcCode(e) === 'INVALID_ARGUMENT' && String(e).includes('no-such-handler'),
      );
    } finally {
      cri.close();
    }
  });

  it('runs, stops and removes 50 pods leaving no netns, veth, mount, IP, container, snapshot or lease behind', async () => {
    const before = await leftovers();
    const { stack } = fixture;
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const started = await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const path = join(stack.dir, `many-${batch}-${i}.json`);
          await writeFile(path, JSON.stringify({ metadata: { name: `many-${batch}-${i}`, namespace: 'many', uid: `many-${batch}-${i}` }, log_directory: join(stack.dir, 'many-logs'), linux: {} }));
          const result = await crictl(stack.criTs.socket, ['runp', path], 60);
          assert.equal(result.code, 0, result.stderr);
          return result.stdout.trim();
        }),
      );
      ids.push(...started);
    }
    assert.equal(new Set(ids).size, 50);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map(async (id) => {
        assert.equal((await crictl(stack.criTs.socket, ['stopp', id])).code, 0);
        assert.equal((await crictl(stack.criTs.socket, ['rmp', id])).code, 0);
      }));
    }
    assert.deepEqual(await leftovers(), before);
    const reserved = (await readdir(join(stack.dir, 'ipam', 'pnet')).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
    assert.equal(reserved.length, 1, 'only the fixture pod still holds an IP');
    const { containers } = await stack.client.containers.List({ filters: [] });
    assert.equal(containers.filter((c) => ids.includes(c.id)).length, 0);
    const snapshots: string[] = [];
    for await (const page of stack.client.listSnapshots({ snapshotter: 'overlayfs' })) snapshots.push(...page.info.map((s) => s.name));
    assert.equal(snapshots.filter((s) => ids.includes(s)).length, 0);
    const { leases } = await stack.client.leases.List({ filters: [] });
    assert.deepEqual(leases.map((l) => l.id), []);
  });
});
