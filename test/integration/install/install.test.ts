import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { access, appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { packageRoot } from '../../../src/package-paths.js';
import { socketAnswers } from '../../../src/server/socket.js';
import { testConfigToml } from '../../harness/cri-ts.js';
import { spawnDaemon, stopProcess, waitFor } from '../../harness/processes.js';
import { makeTestDir } from '../../harness/test-dir.js';

const execFileAsync = promisify(execFile);
const installScript = join(packageRoot, 'scripts', 'install.sh');
const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('scripts/install.sh into a temporary prefix and /etc root', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let prefix: string;
  let bin: string;
  let etc: string;
  const install = (extra: string[] = []): ReturnType<typeof run> =>
    run('bash', [installScript, '--prefix', prefix, '--bindir', bin, '--etc', etc, '--no-build', ...extra]);

  before(async () => {
    ({ dir, remove } = await makeTestDir('install'));
    prefix = join(dir, 'lib', 'cri-ts');
    bin = join(dir, 'bin');
    etc = join(dir, 'etc');
    await mkdir(join(etc, 'systemd', 'system'), { recursive: true });
  });
  after(() => remove());

  it('installs a cri-ts command that runs, the default config, the unit and crictl.yaml', async () => {
    const first = await install();
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const version = await run(join(bin, 'cri-ts'), ['version']);
    assert.match(version.stdout, /^cri-ts \d+\.\d+\.\d+ \(CRI runtime\.v1\)$/m);
    const config = join(etc, 'cri-ts', 'config.toml');
    assert.equal(await readFile(config, 'utf8'), await readFile(join(packageRoot, 'config', 'config.toml'), 'utf8'));
    const check = await run(join(bin, 'cri-ts'), ['config', 'check', config]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(await readFile(join(etc, 'crictl.yaml'), 'utf8'), /^runtime-endpoint: unix:\/\/\/run\/cri-ts\/cri-ts\.sock$/m);
    const unit = await readFile(join(etc, 'systemd', 'system', 'cri-ts.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${bin}/cri-ts serve --config ${config}$`, 'm'));
  });

  it('installs only what running needs: the bundle, no modules, no tests, no build tools', async () => {
    assert.ok(await exists(join(prefix, 'libexec', 'command-helper.pl')));
    assert.ok(await exists(join(prefix, 'api', 'cri', 'v1', 'api.proto')));
    assert.ok(await exists(join(prefix, 'dist', 'bin', 'cri-ts.mjs')));
    for (const left of ['node_modules', join('dist', 'src'), join('dist', 'test')]) assert.equal(await exists(join(prefix, left)), false, left);
  });

  it('the installed cri-ts serves, /metrics too (prom-client, loaded on demand from the bundle)', async () => {
    const serveDir = join(dir, 'serve');
    await mkdir(serveDir);
    const config = join(serveDir, 'cri-ts.toml');
    const metricsAddress = '127.0.0.1:19187';
    await writeFile(config, testConfigToml(serveDir, { containerdAddress: join(serveDir, 'no-containerd.sock'), extraToml: `[metrics]\naddress = "${metricsAddress}"` }));
    const daemon = spawnDaemon(join(bin, 'cri-ts'), ['serve', '--config', config], join(serveDir, 'cri-ts.log'));
    try {
      await waitFor('the installed cri-ts to listen', () => socketAnswers(join(serveDir, 'cri-ts.sock')), 30_000);
      const metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
      assert.match(metrics, /^# TYPE cri_ts_grpc_server_handled_total counter$/m);
    } finally {
      assert.equal(await stopProcess(daemon), 0, await readFile(join(serveDir, 'cri-ts.log'), 'utf8'));
    }
  });

  it('runs again: the tree is replaced, the operator\'s config and crictl.yaml are kept', async () => {
    const config = join(etc, 'cri-ts', 'config.toml');
    await appendFile(config, '\n# changed by the operator\n');
    const changed = await readFile(config, 'utf8');
    await writeFile(join(etc, 'crictl.yaml'), 'runtime-endpoint: unix:///run/containerd/containerd.sock\n');
    const second = await install();
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(await readFile(config, 'utf8'), changed);
    assert.match(second.stdout, /kept .*config\.toml \(never overwritten\)/);
    assert.equal(await readFile(join(etc, 'crictl.yaml'), 'utf8'), 'runtime-endpoint: unix:///run/containerd/containerd.sock\n');
    assert.match(second.stdout, /for crictl to talk to cri-ts it should hold:\n {2}runtime-endpoint: unix:\/\/\/run\/cri-ts\/cri-ts\.sock/);
    assert.deepEqual(await readdir(join(dir, 'lib')), ['cri-ts'], 'no staging or old tree is left beside the prefix');
    assert.equal((await run(join(bin, 'cri-ts'), ['config', 'check', config])).code, 0);
  });

  it('refuses a prefix that holds something it did not install, and leaves it alone', async () => {
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'precious'), 'x');
    const refused = await run('bash', [installScript, '--prefix', other, '--bindir', bin, '--etc', etc, '--no-build']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /was not installed by this script; choose another --prefix/);
    assert.deepEqual(await readdir(other), ['precious']);
  });

  it('the installed unit passes systemd-analyze verify without a word', { skip: spawnSync('systemd-analyze', ['--version']).status !== 0 && 'systemd-analyze is not installed' }, async () => {
    const verify = await run('systemd-analyze', ['verify', join(etc, 'systemd', 'system', 'cri-ts.service')]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '');
  });
});
