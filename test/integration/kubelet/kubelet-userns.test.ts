import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crictlJson } from '../../harness/crictl.js';
import { type KubeletFixture, startKubeletFixture } from '../../harness/kubelet-fixture.js';
import { RUNC_USERNS_HANDLER, runcHandlersToml } from '../../harness/runc.js';
import { container, findPod, isReady, NAMESPACE, staticPod, waitForPod } from './kubelet-api.js';

// Names and ports of this file's own: bridge, subnet, kubelet API port (healthz on the next), cgroup root.
const NODE = 'crits-kubelet-userns';
const full = (name: string): string => `${name}-${NODE}`;

describe('kubelet v1.37.2 with hostUsers: false on cri-ts (runc v1.4.0 as the default handler)', () => {
  let fixture: KubeletFixture;

  before(
    async () => {
      // A static pod cannot name a RuntimeClass (no API server): the handler with user namespaces is the default.
      fixture = await startKubeletFixture('kubuns', {
        bridge: 'critskun0',
        subnet: '10.243.0.0/16',
        port: 10670,
        cgroupRoot: '/crits-kubelet-userns',
        nodeName: NODE,
        criTs: { containerdToml: `default_runtime_name = "${RUNC_USERNS_HANDLER}"`, extraToml: runcHandlersToml() },
      });
    },
    { timeout: 120_000 },
  );

  after(
    async () => {
      await fixture?.stop();
    },
    { timeout: 240_000 },
  );

  it("runs the pod in a user namespace kubelet mapped, with its emptyDir idmapped: the pod's root writes files root owns on the host", { timeout: 150_000 }, async () => {
    const { kubelet } = fixture;
    await kubelet.writeManifest(
      'userns',
      staticPod('userns', {
        hostUsers: false,
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [
          container('app', 'cat /proc/self/uid_map; touch /scratch/by-root; touch /ready; while true; do sleep 1; done', {
            volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
            readinessProbe: { exec: { command: ['cat', '/ready'] }, periodSeconds: 1 },
          }),
        ],
      }),
    );
    const pod = await waitForPod(kubelet, full('userns'), 'ready', isReady, 120_000);
    const log = await kubelet.get(`/containerLogs/${NAMESPACE}/${full('userns')}/app`);
    // kubelet gives each pod 65536 IDs at a multiple of 65536 past the first 65536 (its default range).
    const [, hostId, length] = log.body.match(/^\s*0\s+(\d+)\s+(\d+)\s*$/m) ?? [];
    assert.equal(Number(length), 65536, log.body);
    assert.ok(Number(hostId) >= 65536 && Number(hostId) % 65536 === 0, log.body);

    const containerId = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^cri-ts:\/\//, '') ?? '';
    const inspect = await crictlJson<{ info: { pid: number } }>(fixture.stack.criTs.socket, ['inspect', containerId]);
    const status = await stat(`/proc/${inspect.info.pid}`);
    assert.equal(status.uid, Number(hostId), 'the container process runs as the mapped host ID');

    const volumes = join(fixture.stack.dir, 'kubelet', 'root', 'pods', pod.metadata.uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch');
    assert.deepEqual(await readdir(volumes), ['by-root']);
    const file = await stat(join(volumes, 'by-root'));
    assert.deepEqual([file.uid, file.gid], [0, 0], 'kubelet sent the mappings on the mount: idmapped, root inside is root on disk');
    assert.ok(await findPod(kubelet, full('userns')));
  });
});
