import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crictlJson } from '../../harness/crictl.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';

const exec = promisify(execFile);
/** Where the runc shim keeps the state of the OCI runtime it drives, for namespace k8s.io. */
const RUNTIME_ROOT = '/run/containerd/runc/k8s.io';

/** Whether `binary` knows container `id` as one it created (runc and crun keep different state files). */
async function runtimeKnows(binary: string, id: string): Promise<boolean> {
  return exec(binary, ['--root', RUNTIME_ROOT, 'state', id]).then(
    () => true,
    () => false,
  );
}

describe('runtime handlers: a pod and its containers run under the handler the pod names', () => {
  let fixture: PodFixture;

  before(async () => {
    fixture = await startPodFixture('crun', { bridge: 'critscr0', subnet: '10.217.0.0/16' }, {}, {
      runtimeHandler: 'crun',
      extraToml: ['[containerd.runtimes.runc]', 'runtime_type = "io.containerd.runc.v2"', '[containerd.runtimes.crun]', 'runtime_type = "io.containerd.runc.v2"', '[containerd.runtimes.crun.options]', 'BinaryName = "/usr/bin/crun"'].join('\n'),
    });
  });

  after(async () => {
    await fixture?.stop();
  });

  it('runs the pause and app containers with crun, not runc, and reports the handler', async () => {
    const c = await fixture.run(['sh', '-c', 'echo under-crun; sleep 300']);
    await waitFor('output', async () => (await readFile(c.logPath, 'utf8').catch(() => '')).includes('under-crun'));
    for (const id of [fixture.podId, c.id]) {
      assert.equal(await runtimeKnows('/usr/bin/crun', id), true, `crun created ${id}`);
      assert.equal(await runtimeKnows('runc', id), false, `runc did not create ${id}`);
    }
    const pod = await crictlJson<{ status: { runtimeHandler: string } }>(fixture.stack.criTs.socket, ['inspectp', fixture.podId]);
    assert.equal(pod.status.runtimeHandler, 'crun');
  });
});
