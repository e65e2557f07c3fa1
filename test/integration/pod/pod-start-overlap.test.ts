import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crictl } from '../../harness/crictl.js';
import { describeLeaks, listLeaks } from '../../harness/leak-list.js';
import { OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry } from '../../harness/offline-images.js';
import { startStack, type TestStack } from '../../harness/stack.js';

const exec = promisify(execFile);
const BRIDGE = 'critsov0';
const NETWORK = 'overlap';

/**
 * RunPodSandbox starts the pause task while CNI ADD runs. These tests make
 * each side fail while the other is under way and check that the undo still
 * leaves nothing behind: CNI failing after the pause process is in the netns,
 * and runc failing while CNI is still setting the network up.
 */
describe('pod start with the pause task and CNI ADD at once: either failing leaves nothing behind', () => {
  let stack: TestStack;
  let binDir: string;
  let ipamDir: string;
  let traceFile: string;
  let podCount = 0;

  const conflist = async (firstPlugin: string): Promise<void> => {
    const list = {
      cniVersion: '1.0.0',
      name: NETWORK,
      plugins: [
        { type: firstPlugin, bridge: BRIDGE, isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.214.0.0/16' }]], dataDir: ipamDir } },
        { type: 'loopback' },
      ],
    };
    await writeFile(join(stack.dir, 'cni-conf', `10-${NETWORK}.conflist`), JSON.stringify(list));
  };

  const podConfig = async (): Promise<string> => {
    podCount++;
    const path = join(stack.dir, `overlap-pod-${podCount}.json`);
    const config = { metadata: { name: `overlap-${podCount}`, namespace: 'itest', uid: `overlap-uid-${podCount}`, attempt: 0 }, linux: {} };
    await writeFile(path, JSON.stringify(config));
    return path;
  };

  /** What a failed pod start may not leave: the shared leak list (netns, records, tasks' shims, snapshots, mounts, IPs, veths, leases, ...). */
  const assertNothingLeft = async (): Promise<void> => {
    assert.equal((await crictl(stack.criTs.socket, ['pods', '-q'])).stdout.trim(), '', 'no pod is listed');
    // Other cri-ts instances on the host have their own: only the one CNI was handed must be gone.
    const netns = (await trace()).find((t) => t.what === 'netns')?.detail;
    assert.ok(netns?.startsWith('/run/netns/cri-ts-'), `CNI was handed the pod's netns: ${netns}`);
    assert.equal(existsSync(netns!), false, 'no network namespace is left');
    const leaks = await listLeaks({
      root: join(stack.dir, 'cri-ts-root'),
      state: join(stack.dir, 'cri-ts-state'),
      testDir: stack.dir,
      containerd: () => stack.client,
      containerdAddress: () => stack.containerd.address,
      bridge: BRIDGE,
      ipamDir,
      // These pods ask for no cgroup parent: their cgroups are not told apart from other tests' here.
      cgroupParent: '/crits-overlap-no-parent',
      logPath: stack.criTs.logPath,
    });
    assert.equal(describeLeaks(leaks), '', 'nothing is left behind');
  };

  /** What the fake plugins and runc wrote: `what ns` (a time) or `netns PATH`. */
  const trace = async (): Promise<Array<{ what: string; ns: bigint; detail: string }>> =>
    (await readFile(traceFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [what, detail] = line.split(' ');
        return { what: what!, ns: /^\d+$/.test(detail!) ? BigInt(detail!) : 0n, detail: detail! };
      });

  before(async () => {
    await requireOfflineRegistry();
    binDir = await mkdtemp(join(tmpdir(), 'crits-overlap-bin-'));
    traceFile = join(binDir, 'trace');
    // A CNI plugin that waits until a process (the pause container) has joined the netns, then fails ADD.
    await writeFile(
      join(binDir, 'fail-after-pause'),
      [
        '#!/bin/sh',
        'case "$CNI_COMMAND" in',
        '  VERSION) echo \'{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}\'; exit 0 ;;',
        '  ADD) ;;',
        '  *) exit 0 ;;',
        'esac',
        'cat >/dev/null',
        `echo "netns $CNI_NETNS" >> ${traceFile}`,
        'name=$(basename "$CNI_NETNS")',
        'for i in $(seq 1 100); do',
        '  if [ -n "$(ip netns pids "$name" 2>/dev/null)" ]; then',
        `    echo "pause-seen $(date +%s%N)" >> ${traceFile}`,
        '    break',
        '  fi',
        '  sleep 0.05',
        'done',
        'echo \'{"cniVersion":"1.0.0","code":999,"msg":"fail-after-pause refuses the pod"}\'',
        'exit 1',
        '',
      ].join('\n'),
    );
    // The bridge plugin, slowed: ADD takes a second more, so runc is done (and fails) well before it.
    await writeFile(
      join(binDir, 'slow-bridge'),
      [
        '#!/bin/sh',
        'if [ "$CNI_COMMAND" = ADD ]; then',
        `  echo "netns $CNI_NETNS" >> ${traceFile}`,
        `  echo "add-start $(date +%s%N)" >> ${traceFile}`,
        '  input=$(cat)',
        '  sleep 1',
        '  printf %s "$input" | /usr/lib/cni/bridge; rc=$?',
        `  echo "add-end $(date +%s%N)" >> ${traceFile}`,
        '  exit $rc',
        'fi',
        'exec /usr/lib/cni/bridge',
        '',
      ].join('\n'),
    );
    // A runc that cannot create anything, and says when it was asked.
    await writeFile(
      join(binDir, 'failing-runc'),
      ['#!/bin/sh', 'case "$*" in', `  *create*) echo "runc-create $(date +%s%N)" >> ${traceFile} ;;`, 'esac', 'echo "failing-runc: refusing $1" >&2', 'exit 1', ''].join('\n'),
    );
    for (const name of ['fail-after-pause', 'slow-bridge', 'failing-runc']) await chmod(join(binDir, name), 0o755);
    stack = await startStack('overlap', {
      topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`,
      extraToml: [
        `bin_dirs = [${JSON.stringify(binDir)}, "/usr/lib/cni"]`,
        OFFLINE_MIRRORS_TOML,
        '[containerd.runtimes.runc]',
        'runtime_type = "io.containerd.runc.v2"',
        '[containerd.runtimes.broken]',
        'runtime_type = "io.containerd.runc.v2"',
        '[containerd.runtimes.broken.options]',
        `BinaryName = ${JSON.stringify(join(binDir, 'failing-runc'))}`,
      ].join('\n'),
    });
    ipamDir = join(stack.dir, 'ipam');
    await mkdir(ipamDir, { recursive: true });
    // The sandbox image is pulled once, so both tests time only the pod start.
    assert.equal((await crictl(stack.criTs.socket, ['pull', PAUSE_IMAGE], 120)).code, 0);
  });

  after(async () => {
    await stack?.stop();
    await exec('ip', ['link', 'del', BRIDGE]).catch(() => undefined);
    await rm(binDir, { recursive: true, force: true });
  });

  it('CNI ADD failing after the pause process joined the netns: the task, record, snapshot, shm and netns are all undone', async () => {
    await rm(traceFile, { force: true });
    await conflist('fail-after-pause');
    const result = await crictl(stack.criTs.socket, ['runp', await podConfig()], 60);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /fail-after-pause refuses the pod/);
    assert.deepEqual((await trace()).map((t) => t.what), ['netns', 'pause-seen'], 'CNI failed while the pause process ran');
    await assertNothingLeft();
  });

  it('the pause task failing while CNI ADD runs: the network it then finishes is torn down too, with everything else', async () => {
    await rm(traceFile, { force: true });
    await conflist('slow-bridge');
    const result = await crictl(stack.criTs.socket, ['runp', '--runtime', 'broken', await podConfig()], 60);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /failing-runc|runc|OCI runtime/i);
    const events = await trace();
    const at = (what: string) => events.find((e) => e.what === what)?.ns;
    assert.ok(at('add-start') !== undefined && at('runc-create') !== undefined && at('add-end') !== undefined, `trace: ${JSON.stringify(events.map((e) => e.what))}`);
    assert.ok(at('add-start')! < at('runc-create')! && at('runc-create')! < at('add-end')!, 'runc was asked while CNI ADD ran');
    await assertNothingLeft();
  });
});
