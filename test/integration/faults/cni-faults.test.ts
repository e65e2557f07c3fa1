import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { type FaultStack, startFaultStack } from '../../harness/fault-stack.js';
import { describeLeaks, listLeaks } from '../../harness/leak-list.js';
import { pidsWhere, waitFor } from '../../harness/processes.js';

/**
 * A test plugin chained after bridge: `hang` never answers ADD; `fail`
 * answers ADD with a CNI error. Both do DEL and VERSION as a real plugin does,
 * so the chain's undo can run.
 */
function faultyPlugin(addBehaviour: string): string {
  return [
    '#!/bin/sh',
    'case "$CNI_COMMAND" in',
    `  ADD) ${addBehaviour} ;;`,
    '  VERSION) echo \'{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}\' ;;',
    '  *) exit 0 ;;',
    'esac',
    '',
  ].join('\n');
}

const PLUGIN_TIMEOUT_MS = 1500;

describe('CNI plugins that hang or fail half-way through a chain', () => {
  let stack: FaultStack;

  before(async () => {
    stack = await startFaultStack({
      prefix: 'fcni',
      managed: false,
      bridge: 'critsfc0',
      subnet: '10.219.0.0/16',
      cniToml: (dir) => `bin_dirs = ["${join(dir, 'cni-bin')}", "/usr/lib/cni"]\nplugin_timeout = "${PLUGIN_TIMEOUT_MS}ms"`,
      writeCniConfig: async (confDir, ipamDir) => {
        const binDir = join(confDir, '..', 'cni-bin');
        await mkdir(binDir, { recursive: true });
        for (const [name, add] of [
          ['hang', 'exec sleep 613'],
          ['fail', 'echo \'{"cniVersion":"1.0.0","code":11,"msg":"injected failure","details":"the second plugin of the chain fails"}\'; exit 1'],
        ] as const) {
          await writeFile(join(binDir, `crits-test-${name}`), faultyPlugin(add));
          await chmod(join(binDir, `crits-test-${name}`), 0o755);
        }
        await writeFile(
          join(confDir, '10-fcni.conflist'),
          JSON.stringify({
            cniVersion: '1.0.0',
            name: 'fcni',
            plugins: [
              { type: 'bridge', bridge: 'critsfc0', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.219.0.0/16' }]], dataDir: ipamDir } },
              { type: 'crits-test-hang' },
            ],
          }),
        );
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const runPod = async (name: string): Promise<unknown> => {
    const cri = criClient(stack.criTs.socket);
    try {
      return await cri.runtime.RunPodSandbox({ config: { metadata: { name, namespace: 'cni-faults', uid: `${name}-uid` }, linux: { cgroupParent: stack.cgroupParent } } }).then(
        () => assert.fail('RunPodSandbox succeeded'),
        (err: unknown) => err,
      );
    } finally {
      cri.close();
    }
  };

  it('a plugin that hangs past plugin_timeout: DEADLINE_EXCEEDED naming it, killed, nothing left behind, the name usable again', async () => {
    const started = Date.now();
    const err = await runPod('hangs');
    assert.equal(grpcCode(err), 'DEADLINE_EXCEEDED', String(err));
    assert.match(String(err), /crits-test-hang.*did not finish ADD within 1500 ms/);
    assert.ok(Date.now() - started < 15_000, 'answered soon after the timeout');
    assert.deepEqual(await pidsWhere((argv) => argv[0] === 'sleep' && argv[1] === '613'), [], 'the hung plugin was killed');
    assert.equal(describeLeaks(await listLeaks(stack.scope)), '');
    // The name a failed call reserved is free: the same pod fails the same way, not AlreadyExists.
    assert.equal(grpcCode(await runPod('hangs')), 'DEADLINE_EXCEEDED');
    assert.equal(describeLeaks(await listLeaks(stack.scope)), '');
  });

  it('a chain that fails half-way (bridge added, the next plugin failed): the plugin\'s error, bridge undone, nothing left behind', async () => {
    const conflist = join(stack.dir, 'cni-conf', '10-fcni.conflist');
    await writeFile(conflist, (await readFile(conflist, 'utf8')).replace('crits-test-hang', 'crits-test-fail'));
    const err = await runPod('fails');
    assert.match(String(err), /crits-test-fail.*injected failure/);
    assert.notEqual(grpcCode(err), 'UNKNOWN');
    let leaks = '';
    await waitFor('nothing left behind', async () => (leaks = describeLeaks(await listLeaks(stack.scope))) === '', 10_000).catch(() => undefined);
    assert.equal(leaks, '');
  });
});
