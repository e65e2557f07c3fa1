import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { LogFile } from '../../../../src/container/io/log-file.js';

const silent = pino({ level: 'silent' });

describe('LogFile', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crits-logfile-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the directory and a 0640 file, appends to an existing one, and writes records in order', async () => {
    const path = join(dir, 'pod', 'ctr', '0.log');
    const first = await LogFile.open(path, silent);
    first.write('a\n');
    first.write(Buffer.from('b\n'));
    await first.close();
    assert.equal((await stat(path)).mode & 0o777, 0o640 & ~process.umask());
    const second = await LogFile.open(path, silent);
    for (let i = 0; i < 1000; i++) second.write(`line ${i}\n`);
    await second.flush();
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.deepEqual(lines.slice(0, 3), ['a', 'b', 'line 0']);
    assert.equal(lines[1001], 'line 999');
    await second.close();
    await second.close();
    second.write('dropped after close\n');
    assert.ok(!(await readFile(path, 'utf8')).includes('dropped'));
  });

  it('reopen() after a kubelet-style rename: old file keeps the first records, the new one the rest, none lost or split', async () => {
    const path = join(dir, 'rotate', '0.log');
    const file = await LogFile.open(path, silent);
    const record = (i: number): string => `2016-10-06T00:17:09.669794202Z stdout F record ${i} ${'x'.repeat(i % 200)}\n`;
    for (let i = 0; i < 500; i++) file.write(record(i));
    // kubelet renames the live file, then calls ReopenContainerLog; records keep coming meanwhile.
    await rename(path, `${path}.20240101-000000`);
    for (let i = 500; i < 1000; i++) file.write(record(i));
    const reopened = file.reopen();
    for (let i = 1000; i < 1500; i++) file.write(record(i));
    await reopened;
    for (let i = 1500; i < 2000; i++) file.write(record(i));
    await file.close();

    const rotated = await readFile(`${path}.20240101-000000`, 'utf8');
    const current = await readFile(path, 'utf8');
    // Written before reopen() was called: old file. Queued after: new file.
    assert.equal(rotated, Array.from({ length: 1000 }, (_, i) => record(i)).join(''));
    assert.equal(current, Array.from({ length: 1000 }, (_, i) => record(i + 1000)).join(''));
  });

  it('keeps the old file when reopening fails, and rejects', async () => {
    const sub = join(dir, 'gone');
    const path = join(sub, '0.log');
    const file = await LogFile.open(path, silent);
    file.write('before\n');
    await rm(sub, { recursive: true });
    // The directory is created again by reopen; make that impossible with a file in its place.
    await writeFile(sub, 'not a directory');
    await assert.rejects(file.reopen());
    file.write('after\n');
    await file.close();
    await assert.rejects(file.reopen(), /closed/);
    await rm(sub, { force: true });
  });

  it('reports backpressure above the high-water mark and clears it once flushed', async () => {
    const file = await LogFile.open(join(dir, 'hwm.log'), silent, { highWaterMark: 1024 });
    assert.equal(file.write('x'.repeat(100)), true);
    assert.equal(file.write('y'.repeat(2000)), false);
    await file.flush();
    assert.equal(file.write('z'), true);
    await file.close();
    assert.equal((await readFile(join(dir, 'hwm.log'), 'utf8')).length, 2101);
  });
});
