import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { countOpenFiles, parseSoftUlimits, readSoftUlimits } from '../../../src/stats/process-files.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max processes             94710                94710                processes
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('process files under /proc', () => {
  let proc: string;
  before(async () => {
    proc = await mkdtemp(join(tmpdir(), 'cri-ts-proc-'));
    // Two processes: stdio on /dev/null, a pipe and two sockets between them.
    const links: Record<string, string[]> = { '41': ['/dev/null', '/dev/null', 'pipe:[991]', 'socket:[12345]'], '42': ['/dev/null', 'socket:[12346]', 'anon_inode:[eventpoll]'] };
    for (const [pid, targets] of Object.entries(links)) {
      await mkdir(join(proc, pid, 'fd'), { recursive: true });
      for (const [fd, target] of targets.entries()) await symlink(target, join(proc, pid, 'fd', String(fd)));
    }
    await writeFile(join(proc, '41', 'limits'), LIMITS);
  });
  after(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  it('counts open descriptors and the sockets among them, a process gone counting none', async () => {
    assert.deepEqual(await countOpenFiles([41, 42, 43], proc), { fileDescriptors: 7, sockets: 2 });
    assert.deepEqual(await countOpenFiles([], proc), { fileDescriptors: 0, sockets: 0 });
  });

  it("reads the soft open-files limit as cadvisor names it, and nothing for a limit that is unlimited or a process gone", async () => {
    assert.deepEqual(Object.fromEntries(await readSoftUlimits(41, proc)), { max_open_files: 1024n });
    assert.equal((await readSoftUlimits(43, proc)).size, 0);
    assert.equal(parseSoftUlimits(LIMITS.replace('1024                 524288', 'unlimited            unlimited')).size, 0);
  });
});
