import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { describeFailure, runCommandHere } from '../../../src/host/command.js';
import { CommandHelper, mountFromHelper, MountFlag, runCommand, stopCommandHelper, useCommandHelper } from '../../../src/host/command-runner.js';
import { metrics } from '../../../src/metrics/metrics.js';
import { parsePrometheusText, sumOf } from '../../harness/prometheus-text.js';
import { isCriError } from '../../../src/errors.js';

describe('runCommandHere', () => {
  it('passes stdin and the given environment only, and returns exit code, stdout and stderr', async () => {
    const result = await runCommandHere({ file: 'sh', args: ['-c', 'cat; echo "A=$A HOME=$HOME" >&2; exit 3'], input: 'in', env: { A: '1', PATH: '/usr/bin:/bin' } });
    const { spawnSeconds, ...rest } = result;
    assert.deepEqual(rest, { timedOut: false, stdout: 'in', stderr: 'A=1 HOME=\n', exitCode: 3 });
    assert.ok(spawnSeconds !== undefined && spawnSeconds > 0 && spawnSeconds < 5, `spawn took ${spawnSeconds} s`);
  });

  it('reports a program that cannot start as a start error, not an exit code', async () => {
    const request = { file: '/nonexistent/program', args: ['x'] };
    const result = await runCommandHere(request);
    assert.equal(result.startError, 'ENOENT');
    assert.equal(result.exitCode, undefined);
    assert.equal(describeFailure(request, result), '/nonexistent/program x could not be started: ENOENT');
  });

  it('kills the whole process group at the timeout, so a grandchild holding stdout open cannot keep it waiting', async () => {
    const started = Date.now();
    const result = await runCommandHere({ file: 'sh', args: ['-c', 'sleep 30 & sleep 30'], timeoutMs: 200, ownProcessGroup: true });
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(Date.now() - started < 5000, 'returned soon after the timeout');
  });

  it('ignores a program that exits without reading its input', async () => {
    const result = await runCommandHere({ file: 'true', args: [], input: 'x'.repeat(1 << 20) });
    assert.equal(result.exitCode, 0);
  });
});

describe('CommandHelper', () => {
  it('runs what runCommandHere runs, the same way: input, environment, cwd, exit code, start errors, group timeouts', async () => {
    const helper = new CommandHelper(pino({ level: 'silent' }));
    try {
      const result = await helper.run({ file: 'sh', args: ['-c', 'cat; echo "A=$A HOME=$HOME" >&2; pwd; exit 3'], input: 'in\n', env: { A: '1', PATH: '/usr/bin:/bin' }, cwd: '/tmp' });
      assert.deepEqual(result, { timedOut: false, stdout: 'in\n/tmp\n', stderr: 'A=1 HOME=\n', exitCode: 3 });
      assert.equal((await helper.run({ file: '/nonexistent/program', args: ['x'] })).startError, 'ENOENT');
      assert.equal((await helper.run({ file: 'true', args: [], cwd: '/nonexistent' })).startError, 'ENOENT');
      assert.equal((await helper.run({ file: 'sh', args: ['-c', 'kill -TERM $$'] })).signal, 'SIGTERM');
      assert.equal((await helper.run({ file: 'true', args: [], input: 'x'.repeat(1 << 20) })).exitCode, 0, 'a program that does not read its input');
      const started = Date.now();
      const killed = await helper.run({ file: 'sh', args: ['-c', 'sleep 30 & sleep 30'], timeoutMs: 200, ownProcessGroup: true });
      assert.deepEqual([killed.timedOut, killed.signal], [true, 'SIGKILL']);
      assert.ok(Date.now() - started < 5000, 'returned soon after the timeout, the grandchild killed with its group');
    } finally {
      helper.stop();
    }
  });

  it('mounts without starting a program (a new netns pinned on a file, a tmpfs with its options), and reports why it could not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pin-netns-'));
    const target = join(dir, 'ns');
    await writeFile(target, '');
    useCommandHelper(pino({ level: 'silent' }));
    try {
      const pin = (at: string): Promise<boolean> => mountFromHelper({ source: '/proc/self/ns/net', target: at, type: '', flags: MountFlag.bind, data: '', newNetns: true });
      assert.equal(await pin(target), true);
      const pinned = (await runCommandHere({ file: 'nsenter', args: [`--net=${target}`, 'readlink', '/proc/self/ns/net'] })).stdout.trim();
      assert.match(pinned, /^net:\[\d+\]$/);
      assert.notEqual(pinned, readlinkSync('/proc/self/ns/net'), 'a namespace of its own, not the host one');
      const shm = join(dir, 'shm');
      await mkdir(shm);
      assert.equal(await mountFromHelper({ source: 'shm', target: shm, type: 'tmpfs', flags: MountFlag.nosuid | MountFlag.nodev | MountFlag.noexec, data: 'mode=1777,size=65536' }), true);
      const mounted = (await runCommandHere({ file: 'findmnt', args: ['-n', '-o', 'FSTYPE,OPTIONS', shm] })).stdout;
      await runCommandHere({ file: 'umount', args: [shm] });
      assert.match(mounted, /^tmpfs\s+\S*nosuid,nodev,noexec\S*size=64k/);
      await assert.rejects(pin(join(dir, 'missing')), (err) => isCriError(err, 'Internal') && /ENOENT/.test(String(err)));
    } finally {
      stopCommandHelper();
      await runCommandHere({ file: 'umount', args: [target] });
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(await mountFromHelper({ source: 'shm', target, type: 'tmpfs', flags: 0, data: '' }), false, 'without the helper the caller runs the program');
  });

  it('runs many commands at once and keeps their outputs apart, large ones included', async () => {
    const helper = new CommandHelper(pino({ level: 'silent' }));
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => helper.run({ file: 'sh', args: ['-c', `sleep 0.0${i % 5}; echo ${i}`] })));
      assert.deepEqual(results.map((r) => r.stdout.trim()), Array.from({ length: 40 }, (_, i) => String(i)));
      const echoed = await helper.run({ file: 'cat', args: [], input: 'y'.repeat(3 << 20) });
      assert.equal(echoed.stdout.length, 3 << 20);
    } finally {
      helper.stop();
    }
  });

  it('runs commands in its own process and starts again after it died', async () => {
    const helper = new CommandHelper(pino({ level: 'silent' }));
    try {
      const first = await helper.run({ file: 'sh', args: ['-c', 'echo $PPID'] });
      const helperPid = Number(first.stdout.trim());
      assert.notEqual(helperPid, process.pid, 'the command is a child of the helper, not of this process');

      const inFlight = helper.run({ file: 'sleep', args: ['30'] });
      await new Promise((r) => setTimeout(r, 200));
      process.kill(helperPid, 'SIGKILL');
      await assert.rejects(inFlight, (err) => isCriError(err, 'Internal') && /command helper exited/.test((err as Error).message));

      const again = await helper.run({ file: 'sh', args: ['-c', 'echo $PPID; exit 4'] });
      assert.equal(again.exitCode, 4);
      assert.notEqual(Number(again.stdout.trim()), helperPid, 'a new helper runs it');
    } finally {
      helper.stop();
    }
  });

  it('gives up on a helper that stopped answering, a grace period after the command\'s timeout', async () => {
    const helper = new CommandHelper(pino({ level: 'silent' }), 200);
    try {
      const helperPid = Number((await helper.run({ file: 'sh', args: ['-c', 'echo $PPID'] })).stdout.trim());
      process.kill(helperPid, 'SIGSTOP');
      const started = Date.now();
      await assert.rejects(helper.run({ file: 'true', args: [], timeoutMs: 100 }), (err) => isCriError(err, 'DeadlineExceeded'));
      assert.ok(Date.now() - started >= 250, 'waited out timeout and grace');
      process.kill(helperPid, 'SIGCONT');
    } finally {
      helper.stop();
    }
  });
});

describe('runCommand', () => {
  it('records each program\'s run by name; starting one in the helper blocks none of cri-ts, so no spawn time is recorded', async () => {
    const { registry } = await metrics.enable();
    const scrape = async () => parsePrometheusText(await registry.metrics());
    useCommandHelper(pino({ level: 'silent' }));
    try {
      const before = await scrape();
      assert.equal((await runCommand({ file: '/bin/sh', args: ['-c', 'exit 0'] })).exitCode, 0);
      await runCommand({ file: '/nonexistent/program', args: [] });
      const after = await scrape();
      const delta = (name: string, labels: Record<string, string> = {}) => sumOf(after, name, labels) - sumOf(before, name, labels);
      assert.equal(delta('cri_ts_command_duration_seconds_count', { program: 'sh' }), 1);
      assert.equal(delta('cri_ts_command_duration_seconds_count', { program: 'program' }), 1);
      assert.equal(delta('cri_ts_command_spawn_seconds_count'), 0);
    } finally {
      stopCommandHelper();
    }
  });
});

describe('runCommand without the helper', () => {
  it('records how long starting a program blocked this process; a program that could not start has no spawn time', async () => {
    const { registry } = await metrics.enable();
    const scrape = async () => parsePrometheusText(await registry.metrics());
    const before = await scrape();
    assert.equal((await runCommand({ file: '/bin/sh', args: ['-c', 'exit 0'] })).exitCode, 0);
    await runCommand({ file: '/nonexistent/program', args: [] });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sumOf(after, name, labels) - sumOf(before, name, labels);
    assert.equal(delta('cri_ts_command_spawn_seconds_count'), 1);
    const spawn = delta('cri_ts_command_spawn_seconds_sum');
    assert.ok(spawn > 0 && spawn <= delta('cri_ts_command_duration_seconds_sum', { program: 'sh' }), `spawn ${spawn} s is part of the run`);
  });
});
