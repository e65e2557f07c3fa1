import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cliPath } from '../../harness/cri-ts.js';
import { makeTestDir } from '../../harness/test-dir.js';

const execFileAsync = promisify(execFile);

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cliPath, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('configuration from the command line', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  before(async () => {
    testDir = await makeTestDir('config');
  });
  after(async () => {
    await testDir?.remove();
  });

  it('serve refuses a bad config file with a message naming the key, and does not start', async () => {
    const file = join(testDir.dir, 'bad.toml');
    await writeFile(file, `[grpc]\naddress = ${JSON.stringify(join(testDir.dir, 's.sock'))}\n[cni]\nmax_conf_num = -3\n`);
    const result = await runCli(['serve', '--config', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bad\.toml: config key `cni\.max_conf_num`: must be an integer from 0 to 1000, got number -3/);
  });

  it('serve stops with a message naming metrics.address when that address is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(taken.address() as { port: number }).port}`;
    const dir = testDir.dir;
    const file = join(dir, 'metrics.toml');
    await writeFile(
      file,
      [
        `root = ${JSON.stringify(join(dir, 'root'))}`,
        `state = ${JSON.stringify(join(dir, 'state'))}`,
        '[grpc]',
        `address = ${JSON.stringify(join(dir, 'metrics.sock'))}`,
        '[containerd]',
        `address = ${JSON.stringify(join(dir, 'no-containerd.sock'))}`,
        '[containerd.managed]',
        'enabled = false',
        '[metrics]',
        `address = "${address}"`,
      ].join('\n'),
    );
    try {
      const result = await runCli(['serve', '--config', file, '--log-format', 'json']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`cri-ts: config key \`metrics\\.address\`: cannot serve metrics on ${address.replace(/\./g, '\\.')}: listen EADDRINUSE`));
      assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    } finally {
      taken.close();
    }
  });

  it('serve refuses a named config file that does not exist', async () => {
    const result = await runCli(['serve', '--config', join(testDir.dir, 'missing.toml')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot read config file .*missing\.toml/);
  });

  it('config default prints a file that config check accepts', async () => {
    const printed = await runCli(['config', 'default']);
    assert.equal(printed.code, 0);
    assert.match(printed.stdout, /sandbox_image = /);
    const file = join(testDir.dir, 'default.toml');
    await writeFile(file, printed.stdout);
    const checked = await runCli(['config', 'check', file]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /default\.toml: ok/);
  });

  it('config check names an unknown key', async () => {
    const file = join(testDir.dir, 'typo.toml');
    await writeFile(file, 'sandbox_imag = "x"\n');
    const result = await runCli(['config', 'check', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown config key `sandbox_imag`/);
  });

  it('version prints the runtime name', async () => {
    const result = await runCli(['version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^cri-ts \d+\.\d+\.\d+/);
  });
});
