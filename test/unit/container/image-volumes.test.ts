import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageVolumes, probeImagePath } from '../../../src/container/image-volumes.js';
import type { Mount__Output } from '../../../src/generated/cri/runtime/v1/Mount.js';

const criMount = (containerPath: string): Mount__Output => ({ containerPath, hostPath: '/host' }) as Mount__Output;

describe('image volumes', () => {
  it('gives each VOLUME no CRI mount covers a directory of its own, in path order', () => {
    assert.deepEqual(imageVolumes(['/var/lib/data/', '/cache', '/logs'], [criMount('/logs')], '/v'), [
      { containerPath: '/cache', hostPath: '/v/0' },
      { containerPath: '/var/lib/data', hostPath: '/v/1' },
    ]);
  });

  it('ignores the root, relative paths and repeats', () => {
    assert.deepEqual(imageVolumes(['/', 'relative', '/a', '/a/'], [], '/v'), [{ containerPath: '/a', hostPath: '/v/0' }]);
  });

  describe('what the image holds at a volume path', () => {
    let dir: string;
    let upper: string;
    let lower: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cri-ts-volumes-'));
      [upper, lower] = [join(dir, 'upper'), join(dir, 'lower')];
      await mkdir(join(lower, 'data'), { recursive: true });
      await writeFile(join(lower, 'data', 'seed'), 'x');
      await mkdir(join(upper, 'data'), { recursive: true });
      await chmod(join(upper, 'data'), 0o1770);
      await mkdir(join(lower, 'empty'), { recursive: true });
      await mkdir(join(lower, 'file-above'), { recursive: true });
      await writeFile(join(lower, 'file-above', 'x'), 'x');
      await writeFile(join(upper, 'file-above'), 'now a file');
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('takes owner and mode from the topmost layer and sees content in a lower one', async () => {
      const found = await probeImagePath([upper, lower], '/data');
      assert.equal(found.kind, 'directory');
      assert.ok(found.kind === 'directory' && found.mode === 0o1770 && found.hasContent && found.uid === process.getuid!());
    });

    it('tells an empty directory from an absent path, and a file above hides the directory below', async () => {
      assert.deepEqual({ ...(await probeImagePath([upper, lower], '/empty')), uid: 0, gid: 0 }, { kind: 'directory', uid: 0, gid: 0, mode: 0o755, hasContent: false });
      assert.deepEqual(await probeImagePath([upper, lower], '/nowhere'), { kind: 'absent' });
      assert.deepEqual(await probeImagePath([upper, lower], '/file-above'), { kind: 'absent' });
    });
  });
});
