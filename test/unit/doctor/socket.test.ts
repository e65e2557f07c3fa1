import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkSocket } from '../../../src/doctor/socket.js';
import { scratchDir } from './scratch.js';

function listen(path: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.destroy());
    server.listen(path, () => resolve(server));
    after(() => new Promise<void>((r) => server.close(() => r())));
  });
}

describe('doctor: socket directory and permissions', () => {
  it('is ok with no directory yet, when it can be created', async () => {
    const dir = await scratchDir('sock');
    const result = await checkSocket(join(dir, 'run', 'cri-ts.sock'));
    assert.equal(result.status, 'ok');
    assert.match(result.detail, /does not exist yet; cri-ts creates it/);
  });

  it('fails a path too long for a unix socket', async () => {
    const result = await checkSocket(`/run/${'x'.repeat(120)}.sock`);
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /at most 107/);
  });

  it('fails when the directory is a file, or the socket path is a file', async () => {
    const dir = await scratchDir('sock-file');
    await writeFile(join(dir, 'plain'), '');
    assert.equal((await checkSocket(join(dir, 'plain', 'cri-ts.sock'))).status, 'fail');
    const result = await checkSocket(join(dir, 'plain'));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /exists and is not a socket: cri-ts will refuse to start/);
  });

  it('warns about a directory everyone may write', async () => {
    const dir = join(await scratchDir('sock-open'), 'run');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const result = await checkSocket(join(dir, 'cri-ts.sock'));
    assert.equal(result.status, 'warn');
    assert.match(result.fix ?? '', /chmod 0711/);
  });

  it('tells a live socket from one a crashed server left, and warns when the live one lets everyone in', async () => {
    const dir = join(await scratchDir('sock-live'), 'run');
    await mkdir(dir, { mode: 0o711 });
    const live = join(dir, 'cri-ts.sock');
    await listen(live);
    await chmod(live, 0o660);
    const answering = await checkSocket(live);
    assert.equal(answering.status, 'ok');
    assert.match(answering.detail, /a server answers at .* \(mode 0660\)/);
    await chmod(live, 0o666);
    assert.equal((await checkSocket(live)).status, 'warn');

    // A server killed outright leaves its socket file behind.
    const stale = join(dir, 'stale.sock');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    const result = await checkSocket(stale);
    assert.equal(result.status, 'ok');
    assert.match(result.detail, /left from an earlier run; cri-ts replaces it at start/);
  });
});
