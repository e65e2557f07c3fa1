import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { CheckResult } from '../../../src/doctor/check.js';
import { cliPath, testConfigToml } from '../../harness/cri-ts.js';
import { OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry, writeBridgeConflist } from '../../harness/offline-images.js';
import { spawnDaemon, stopProcess, waitFor } from '../../harness/processes.js';
import { socketAnswers } from '../../../src/server/socket.js';
import { packageRoot } from '../../../src/package-paths.js';
import { startStack, type TestStack } from '../../harness/stack.js';
import { makeTestDir } from '../../harness/test-dir.js';

const execFileAsync = promisify(execFile);

/** Runs the real `cri-ts doctor`; returns its exit code, output and how long it took. */
async function doctor(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cliPath, 'doctor', ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: Date.now() - started };
  }
}

function byName(results: CheckResult[]): Map<string, CheckResult> {
  return new Map(results.map((r) => [r.name, r]));
}

describe('cri-ts doctor against a running stack (containerd and cri-ts up)', () => {
  let stack: TestStack;
  before(async () => {
    await requireOfflineRegistry();
    stack = await startStack('doctor', { extraToml: OFFLINE_MIRRORS_TOML });
    await writeBridgeConflist(join(stack.dir, 'cni-conf'), { name: 'doctor', bridge: 'critsdoc0', subnet: '10.229.0.0/16', ipamDir: join(stack.dir, 'ipam') });
  });
  after(() => stack?.stop());

  it('finds containerd, its version, the CNI config and plugins, the sandbox image and cri-ts on its socket', async () => {
    const { version } = await stack.client.version();
    const run = await doctor(['--config', stack.criTs.configPath, '--json']);
    const results = JSON.parse(run.stdout) as CheckResult[];
    const checks = byName(results);
    assert.equal(checks.get('config')?.status, 'ok');
    assert.deepEqual(checks.get('containerd'), { name: 'containerd', status: 'ok', detail: `containerd ${version} answers at ${stack.containerd.address}` });
    assert.equal(checks.get('cni')?.status, 'ok', checks.get('cni')?.detail);
    assert.match(checks.get('cni')?.detail ?? '', /bridge, host-local, loopback, portmap found/);
    assert.equal(checks.get('sandbox image')?.status, 'ok', checks.get('sandbox image')?.detail);
    assert.match(checks.get('socket')?.detail ?? '', new RegExp(`a server answers at ${stack.criTs.socket}`));
    assert.equal(checks.get('runtime runc')?.status, 'ok', checks.get('runtime runc')?.detail);
    for (const name of ['cgroups', 'oom_score_adj', 'ip_forward', 'bridge netfilter', 'overlayfs', 'disk root', 'disk state']) assert.ok(checks.has(name), name);
    // The exit status follows the host's own fails (ip_forward may be 0 on a fresh machine), and only those.
    assert.equal(run.code, results.some((r) => r.status === 'fail') ? 1 : 0, run.stdout);
    assert.ok(run.ms < 5000, `doctor took ${run.ms} ms`);
  });

  it('prints one line per check in text, the same verdicts as --json', async () => {
    const [text, json] = await Promise.all([doctor(['--config', stack.criTs.configPath]), doctor(['--config', stack.criTs.configPath, '--json'])]);
    const results = JSON.parse(json.stdout) as CheckResult[];
    for (const r of results) assert.match(text.stdout, new RegExp(`^${r.status} +${r.name} +\\S`, 'm'), `${r.name} in\n${text.stdout}`);
    assert.equal(text.code, json.code);
  });
});

describe('cri-ts doctor on a node that is not ready', () => {
  let dir: string;
  let remove: () => Promise<void>;
  before(async () => {
    ({ dir, remove } = await makeTestDir('doctor-bad'));
  });
  after(() => remove());

  it('fails containerd (a socket nobody answers on) and CNI (an empty conf_dir) by name, with fixes, and exits 1', async () => {
    const address = join(dir, 'containerd.sock');
    // A containerd killed outright leaves its socket behind with nobody on it.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(address)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await mkdir(join(dir, 'cni-conf'), { recursive: true });
    const config = join(dir, 'cri-ts.toml');
    await writeFile(config, testConfigToml(dir, { containerdAddress: address, extraToml: OFFLINE_MIRRORS_TOML }));

    const run = await doctor(['--config', config]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`^fail +containerd +nothing answers at ${address} \\(`, 'm'));
    assert.match(run.stdout, /^ +fix: start containerd, point containerd\.address at its socket, or set containerd\.managed\.enabled = true/m);
    assert.match(run.stdout, /^fail +cni +no network config found in .*cni-conf: pods get no network/m);
    assert.match(run.stdout, /^ +fix: install a network add-on/m);
    assert.match(run.stdout, /^\d+ ok, \d+ warn, \d+ fail$/m);

    const json = JSON.parse((await doctor(['--config', config, '--json'])).stdout) as CheckResult[];
    assert.equal(byName(json).get('containerd')?.status, 'fail');
    assert.equal(byName(json).get('cni')?.status, 'fail');
  });

  it('stops at an invalid config file, naming the key, and exits 1', async () => {
    const config = join(dir, 'bad.toml');
    await writeFile(config, '[containerd]\nadress = "/run/containerd/containerd.sock"\n');
    const run = await doctor(['--config', config]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^fail +config +.*unknown config key `containerd\.adress`/m);
    assert.match(run.stdout, /^0 ok, 0 warn, 1 fail$/m);
  });
});

describe('cri-ts doctor before and after scripts/start.sh (the README\'s first command)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let config: string;
  let started: ChildProcess | undefined;
  const socket = (): string => join(dir, 'cri-ts.sock');
  const checksOf = async (): Promise<{ code: number; checks: Map<string, CheckResult>; results: CheckResult[] }> => {
    const run = await doctor(['--config', config, '--json']);
    const results = JSON.parse(run.stdout) as CheckResult[];
    return { code: run.code, checks: byName(results), results };
  };

  before(async () => {
    await requireOfflineRegistry();
    ({ dir, remove } = await makeTestDir('doctor-start'));
    await mkdir(join(dir, 'cni-conf'), { recursive: true });
    config = join(dir, 'cri-ts.toml');
    // No containerd runs at this address: cri-ts is to start its own, as on a fresh machine.
    await writeFile(config, testConfigToml(dir, { containerdAddress: join(dir, 'no-containerd.sock'), managed: true, topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`, extraToml: OFFLINE_MIRRORS_TOML }));
  });
  after(async () => {
    if (started) await stopProcess(started);
    await remove();
  });

  it('before: fails what start.sh cannot do (no network config), says the managed containerd can start, and exits 1', async () => {
    const { code, checks } = await checksOf();
    assert.equal(code, 1);
    assert.equal(checks.get('containerd')?.status, 'ok', checks.get('containerd')?.detail);
    assert.match(checks.get('containerd')?.detail ?? '', /no socket at .*no-containerd\.sock; cri-ts will start its own: \S*containerd /);
    assert.equal(checks.get('socket')?.status, 'ok');
    assert.match(checks.get('socket')?.detail ?? '', /is ready for .*cri-ts\.sock/);
    assert.equal(checks.get('cni')?.status, 'fail');
    assert.match(checks.get('cni')?.fix ?? '', /install a network add-on/);
  });

  it('after: with a network config and scripts/start.sh running, containerd (its own), the socket, CNI and the sandbox image pass', { timeout: 300_000 }, async () => {
    await writeBridgeConflist(join(dir, 'cni-conf'), { name: 'doctor-start', bridge: 'critsdocs0', subnet: '10.227.0.0/16', ipamDir: join(dir, 'ipam') });
    const child = spawnDaemon('bash', [join(packageRoot, 'scripts', 'start.sh'), '--config', config], join(dir, 'start.log'));
    started = child;
    await waitFor('cri-ts from scripts/start.sh', async () => {
      if (child.exitCode !== null) throw new Error(`scripts/start.sh exited with ${child.exitCode}; see ${join(dir, 'start.log')}`);
      return socketAnswers(socket());
    }, 240_000);
    const { code, checks, results } = await checksOf();
    for (const name of ['config', 'containerd', 'socket', 'cni', 'sandbox image', 'runtime runc']) {
      assert.equal(checks.get(name)?.status, 'ok', `${name}: ${checks.get(name)?.detail}`);
    }
    assert.match(checks.get('containerd')?.detail ?? '', /^cri-ts's managed containerd \S+ answers at /);
    assert.match(checks.get('socket')?.detail ?? '', /a server answers at .*cri-ts\.sock \(mode 0660\)/);
    // start.sh turns ip_forward on; the exit status still follows any check this host itself fails.
    assert.equal(checks.get('ip_forward')?.status, 'ok', checks.get('ip_forward')?.detail);
    assert.equal(code, results.some((r) => r.status === 'fail') ? 1 : 0);

    assert.equal(await stopProcess(child), 0, 'cri-ts stops cleanly on SIGTERM');
    started = undefined;
  });
});
