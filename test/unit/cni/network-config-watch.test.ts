import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetworkConfigWatch } from '../../../src/cni/network-config-watch.js';

const conflist = (name: string): string => JSON.stringify({ cniVersion: '1.0.0', name, plugins: [{ type: 'bridge' }] });

/** Polls until `check` holds: inotify events arrive a little later than the write. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail('the change was never seen');
}

describe('NetworkConfigWatch', () => {
  it('answers from what it read until the directory changes, then reads again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netconf-watch-'));
    const watch = new NetworkConfigWatch(dir, 1);
    try {
      await writeFile(join(dir, '10-a.conflist'), conflist('a'));
      const first = watch.current();
      assert.equal((await first)[0]?.name, 'a');
      assert.equal(watch.current(), first, 'the second call reuses the first read');
      await writeFile(join(dir, '05-b.conflist'), conflist('b'));
      await eventually(async () => (await watch.current())[0]?.name === 'b');
    } finally {
      watch.close();
      await rm(dir, { recursive: true });
    }
  });

  it('reads on every call while the directory does not exist, and watches once it does', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'netconf-watch-'));
    const dir = join(parent, 'net.d');
    const watch = new NetworkConfigWatch(dir, 0);
    try {
      await assert.rejects(watch.current(), /cannot read CNI config directory/);
      await mkdir(dir);
      await writeFile(join(dir, '10-a.conflist'), conflist('a'));
      assert.equal((await watch.current()).length, 1);
      await writeFile(join(dir, '20-c.conflist'), conflist('c'));
      await eventually(async () => (await watch.current()).length === 2);
    } finally {
      watch.close();
      await rm(parent, { recursive: true });
    }
  });
});
