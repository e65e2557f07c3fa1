import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTestContainerd, type TestContainerd } from '../../harness/containerd.js';
import { cliPath, createTestCriTs, type TestCriTs } from '../../harness/cri-ts.js';
import { crictlJson } from '../../harness/crictl.js';
import { isAlive, spawnDaemon, stopProcess, waitFor } from '../../harness/processes.js';
import { makeTestDir } from '../../harness/test-dir.js';

const execFileAsync = promisify(execFile);

interface InfoOutput {
  status: { conditions: Array<{ type: string; status: boolean; reason: string; message: string }> };
}

async function runtimeReady(socket: string): Promise<{ status: boolean; reason: string; message: string }> {
  const info = await crictlJson<InfoOutput>(socket, ['info']);
  const condition = info.status.conditions.find((c) => c.type === 'RuntimeReady');
  assert.ok(condition, 'RuntimeReady condition present');
  return condition;
}

/** The pid of the containerd whose command line names `configPath`. */
async function pidOfContainerdWith(configPath: string): Promise<number | undefined> {
  const { stdout } = await execFileAsync('pgrep', ['-f', `containerd --config ${configPath}`]).catch(() => ({ stdout: '' }));
  const pid = Number(stdout.trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

describe('a containerd that goes away and comes back', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let containerd: TestContainerd;
  let criTs: TestCriTs;

  before(async () => {
    testDir = await makeTestDir('restart');
    containerd = await createTestContainerd(join(testDir.dir, 'containerd'));
    await containerd.start();
    criTs = await createTestCriTs(testDir.dir, { containerdAddress: containerd.address });
    await criTs.start();
  });
  after(async () => {
    await criTs?.stop();
    await containerd?.stop();
    await testDir?.remove();
  });

  it('Status goes not-ready, then ready again, with the same cri-ts process', async () => {
    const pid = criTs.pid;
    assert.equal((await runtimeReady(criTs.socket)).status, true);

    await containerd.stop();
    // Status reuses containerd's last good answer for up to a second (src/containerd/recent-answer.ts).
    await waitFor('RuntimeReady false', async () => !(await runtimeReady(criTs.socket)).status, 3_000);
    const down = await runtimeReady(criTs.socket);
    assert.equal(down.status, false);
    assert.equal(down.reason, 'ContainerdUnavailable');
    assert.match(down.message, new RegExp(`containerd at ${containerd.address} does not answer`));

    await containerd.start();
    await waitFor('RuntimeReady again', async () => (await runtimeReady(criTs.socket)).status, 15_000);
    assert.equal(criTs.pid, pid);
    assert.ok(isAlive(pid));
  });
});

describe('the containerd cri-ts manages itself', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let criTs: TestCriTs;
  let managedConfig: string;

  before(async () => {
    testDir = await makeTestDir('managed');
    managedConfig = join(testDir.dir, 'managed', 'state', 'cri-ts-containerd.toml');
    criTs = await createTestCriTs(testDir.dir, {
      containerdAddress: join(testDir.dir, 'nothing-here.sock'),
      managed: true,
    });
    await criTs.start();
  });
  after(async () => {
    await criTs?.stop();
    const leftover = await pidOfContainerdWith(managedConfig);
    if (leftover) process.kill(leftover, 'SIGKILL');
    await testDir?.remove();
  });

  it('is started with its own root, state and socket and the CRI plugin disabled', async () => {
    assert.equal((await runtimeReady(criTs.socket)).status, true);
    const generated = await readFile(managedConfig, 'utf8');
    assert.match(generated, /disabled_plugins = \["io\.containerd\.grpc\.v1\.cri"\]/);
    assert.match(generated, new RegExp(`root = "${join(testDir.dir, 'managed', 'root')}"`));
    assert.ok(await pidOfContainerdWith(managedConfig), 'managed containerd runs');
  });

  it('is restarted when it dies', async () => {
    const first = await pidOfContainerdWith(managedConfig);
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    await waitFor('a new managed containerd', async () => {
      const next = await pidOfContainerdWith(managedConfig);
      return next !== undefined && next !== first;
    });
    await waitFor('RuntimeReady after the restart', async () => (await runtimeReady(criTs.socket)).status);
  });

  it('is stopped when cri-ts gets SIGTERM, and cri-ts exits 0', async () => {
    const pid = await pidOfContainerdWith(managedConfig);
    assert.ok(pid);
    assert.equal(await criTs.stop(), 0);
    await waitFor('managed containerd to exit', () => !isAlive(pid), 15_000);
  });
});

describe('a stale socket left by a killed cri-ts', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let containerd: TestContainerd;
  let criTs: TestCriTs;

  before(async () => {
    testDir = await makeTestDir('stale');
    containerd = await createTestContainerd(join(testDir.dir, 'containerd'));
    await containerd.start();
    criTs = await createTestCriTs(testDir.dir, { containerdAddress: containerd.address });
  });
  after(async () => {
    await criTs?.stop();
    await containerd?.stop();
    await testDir?.remove();
  });

  it('is replaced at start', async () => {
    // A listener killed with SIGKILL leaves its socket file behind, as a crashed daemon does.
    const holder = spawnDaemon(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(criTs.socket)}, () => console.log('up'))`],
      join(testDir.dir, 'holder.log'),
    );
    await waitFor('the socket holder', async () => (await readFile(join(testDir.dir, 'holder.log'), 'utf8')).includes('up'));
    await stopProcess(holder, 'SIGKILL');
    await criTs.start();
    assert.equal((await runtimeReady(criTs.socket)).status, true);
  });

  it('a second cri-ts on a live socket refuses to start and says why', async () => {
    const result = await execFileAsync(process.execPath, [cliPath, 'serve', '--config', criTs.configPath], { timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /another server already listens on .*cri-ts\.sock/);
  });
});
