import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestContainerd, type TestContainerd } from '../../harness/containerd.js';
import { createTestCriTs, type TestCriTs } from '../../harness/cri-ts.js';
import { crictl } from '../../harness/crictl.js';
import { waitFor } from '../../harness/processes.js';
import { makeTestDir } from '../../harness/test-dir.js';

interface LogLine {
  msg: string;
  codeCache?: string;
  bytes?: number;
}

describe("cri-ts's code cache (src/host/code-cache.ts)", () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let containerd: TestContainerd;
  let criTs: TestCriTs;
  let cacheDir: string;

  const lines = async (): Promise<LogLine[]> =>
    (await criTs.log())
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const startStates = async (): Promise<string[]> => (await lines()).filter((l) => l.msg === 'starting cri-ts').map((l) => l.codeCache ?? 'none');
  const writes = async (): Promise<number> => (await lines()).filter((l) => l.msg === 'code cache written for the next start').length;
  const answers = async (): Promise<void> => {
    const version = await crictl(criTs.socket, ['version']);
    assert.match(version.stdout, /RuntimeName:\s+cri-ts/, version.stderr);
  };

  before(async () => {
    testDir = await makeTestDir('code-cache');
    cacheDir = join(testDir.dir, 'code-cache');
    containerd = await createTestContainerd(join(testDir.dir, 'containerd'));
    await containerd.start();
    criTs = await createTestCriTs(testDir.dir, { containerdAddress: containerd.address, logLevel: 'info', env: { CRI_TS_CODE_CACHE_DIR: cacheDir } });
  });
  after(async () => {
    await criTs?.stop();
    await containerd?.stop();
    await testDir?.remove();
  });

  it('is written a few seconds after the first start recovered, and the next start runs from it', async () => {
    await criTs.start();
    await answers();
    await waitFor('the code cache written', async () => (await writes()) === 1, 30_000);
    const files = await readdir(cacheDir);
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0]!, /^cri-ts-[0-9a-f]{16}-node-v[\d.]+-\w+\.cache$/);

    // As after a crash: nothing of the shutdown runs.
    await criTs.kill();
    await criTs.start();
    await answers();
    assert.deepEqual(await startStates(), ['absent', 'used']);
  });

  it('a damaged one is not run but replaced, and cri-ts serves all the same', async () => {
    await criTs.stop();
    const [file] = await readdir(cacheDir);
    await writeFile(join(cacheDir, file!), Buffer.alloc(64 * 1024, 1));
    await criTs.start();
    await answers();
    assert.equal((await startStates()).at(-1), 'rejected');
    await waitFor('the refused code cache rewritten', async () => (await writes()) === 2, 30_000);

    await criTs.stop();
    await criTs.start();
    await answers();
    assert.deepEqual(await startStates(), ['absent', 'used', 'rejected', 'used']);
  });
});
