import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDiskSpace, ROOT_LIMITS, STATE_LIMITS, type StatFs } from '../../../src/doctor/disk-space.js';

const GiB = 1024 ** 3;
const fakeFs = (freeBytes: number, totalBytes: number): StatFs => async () => ({ freeBytes, totalBytes });

describe('doctor: free disk space', () => {
  it('is ok with room to spare', async () => {
    const result = await checkDiskSpace('root', '/', ROOT_LIMITS, fakeFs(50 * GiB, 100 * GiB));
    assert.equal(result.status, 'ok');
    assert.match(result.detail, /50\.0 GiB free of 100\.0 GiB \(50 %\) for \//);
  });

  it('warns below 10 % free', async () => {
    const result = await checkDiskSpace('root', '/', ROOT_LIMITS, fakeFs(5 * GiB, 100 * GiB));
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /below 10 %/);
  });

  it('fails below 1 GiB free under root', async () => {
    const result = await checkDiskSpace('root', '/', ROOT_LIMITS, fakeFs(0.5 * GiB, 2 * GiB));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /512 MiB free .*: below 1\.0 GiB/);
    assert.match(result.fix ?? '', /crictl rmi --prune/);
  });

  it('holds state (sockets and FIFOs on a small tmpfs) to a lower floor', async () => {
    assert.equal((await checkDiskSpace('state', '/run', STATE_LIMITS, fakeFs(300 * 1024 ** 2, 400 * 1024 ** 2))).status, 'ok');
    assert.equal((await checkDiskSpace('state', '/run', STATE_LIMITS, fakeFs(8 * 1024 ** 2, 400 * 1024 ** 2))).status, 'fail');
  });

  it('measures a directory not made yet on the filesystem it will be made on', async () => {
    let asked = '';
    await checkDiskSpace('root', '/nonexistent/cri-ts/root', ROOT_LIMITS, async (path) => ((asked = path), { freeBytes: GiB * 10, totalBytes: GiB * 20 }));
    assert.equal(asked, '/');
  });
});
