// ContainerIo against real FIFOs, without containerd: the test imitates the
// runc shim by opening the FIFO write ends (after start(), as the shim does
// during Tasks.Create) and handing them to child processes as stdout/stderr.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { ContainerIo, type ContainerIoOptions } from '../../../src/container/io/container-io.js';
import { waitFor } from '../../harness/processes.js';

interface LogRecord {
  stream: string;
  tag: string;
  content: string;
}

const RECORD = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z) (stdout|stderr) ([PF]) (.*)$/s;

async function readRecords(path: string): Promise<LogRecord[]> {
  const text = await readFile(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the log ends with a whole record');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const match = RECORD.exec(line);
      assert.ok(match, `CRI log record: ${JSON.stringify(line.slice(0, 200))}`);
      return { stream: match[2] as string, tag: match[3] as string, content: match[4] as string };
    });
}

/** The stream's bytes put back together: P pieces joined, F adds the newline. */
function reassemble(records: LogRecord[], stream: string): string {
  return records
    .filter((record) => record.stream === stream)
    .map((record) => record.content + (record.tag === 'F' ? '\n' : ''))
    .join('');
}

interface CapturedLog {
  log: Logger;
  messages: string[];
}

function captureLog(): CapturedLog {
  const messages: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
  return { log, messages };
}

const NOT_DRAINED = 'container output not drained in time';

describe('ContainerIo on real FIFOs', () => {
  let base: string;
  const children = new Set<ChildProcess>();
  const fds = new Set<number>();
  const ios = new Set<ContainerIo>();
  let counter = 0;

  before(async () => {
    base = await mkdtemp(join(process.env.CRI_TS_TEST_TMP ?? tmpdir(), 'crits-cio-'));
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const fd of fds) closeSync(fd);
    await Promise.all([...ios].map((io) => io.close()));
    await rm(base, { recursive: true, force: true });
  });

  function options(overrides: Partial<ContainerIoOptions> = {}): ContainerIoOptions & CapturedLog {
    const n = ++counter;
    const captured = captureLog();
    return {
      dir: join(base, `ctr${n}`, 'io'),
      stdin: false,
      tty: false,
      logPath: join(base, 'logs', `ctr${n}`, '0.log'),
      maxLineBytes: 16384,
      ...captured,
      ...overrides,
    };
  }

  async function created(opts: ContainerIoOptions): Promise<ContainerIo> {
    const io = await ContainerIo.create(opts);
    ios.add(io);
    return io;
  }

  function openFd(path: string, flags: string | number): number {
    const fd = openSync(path, flags);
    fds.add(fd);
    return fd;
  }

  function closeFd(fd: number): void {
    fds.delete(fd);
    closeSync(fd);
  }

  /** Spawns `sh -c script` with the given fds as stdout/stderr, like the shim starting the container. */
  function spawnShell(script: string, stdout: number, stderr: number): { child: ChildProcess; exited: Promise<unknown> } {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', stdout, stderr] });
    children.add(child);
    return { child, exited: once(child, 'exit') };
  }

  it('logs stdout and stderr of a child as CRI records, a line written in two parts as one F record', async () => {
    const opts = options();
    const io = await created(opts);
    assert.equal(io.paths.stdin, '');
    assert.equal(io.paths.stdout, join(opts.dir, 'stdout'));
    assert.equal(io.paths.stderr, join(opts.dir, 'stderr'));
    await io.start();
    const out = openFd(io.paths.stdout, 'w');
    const err = openFd(io.paths.stderr, 'w');
    const { exited } = spawnShell('echo out1; echo err1 >&2; printf partial; sleep 0.2; echo " done"', out, err);
    closeFd(out);
    closeFd(err);
    io.taskStarted();
    await exited;
    await io.drained(2000);
    assert.ok(!opts.messages.includes(NOT_DRAINED), 'drained by EOF, not by the timeout');

    const records = await readRecords(opts.logPath);
    assert.deepEqual(
      records.filter((record) => record.stream === 'stdout'),
      [
        { stream: 'stdout', tag: 'F', content: 'out1' },
        { stream: 'stdout', tag: 'F', content: 'partial done' },
      ],
    );
    assert.deepEqual(
      records.filter((record) => record.stream === 'stderr'),
      [{ stream: 'stderr', tag: 'F', content: 'err1' }],
    );
    await io.close();
    await io.close();
  });

  it('delivers a 5 MiB burst complete, to the log (cut into P pieces) and to output listeners', async () => {
    const opts = options({ maxLineBytes: 16 });
    const io = await created(opts);
    await io.start();
    let listened = 0;
    const unsubscribe = io.onOutput((stream, chunk) => {
      assert.equal(stream, 'stdout');
      listened += chunk.length;
    });
    const size = 5 * 1024 * 1024;
    const out = openFd(io.paths.stdout, 'w');
    const err = openFd(io.paths.stderr, 'w');
    const { exited } = spawnShell(`yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${size}`, out, err);
    closeFd(out);
    closeFd(err);
    io.taskStarted();
    await exited;
    await io.drained(20_000);
    unsubscribe();
    assert.ok(!opts.messages.includes(NOT_DRAINED));
    assert.equal(listened, size);

    const line = '0123456789abcdefghijklmnopqrstuvwxyz\n';
    const expected = line.repeat(Math.ceil(size / line.length)).slice(0, size);
    const records = await readRecords(opts.logPath);
    assert.equal(reassemble(records, 'stdout'), expected);
    assert.ok(records.every((record) => Buffer.byteLength(record.content) <= 16));
    assert.deepEqual(
      records.slice(0, 3).map((record) => [record.tag, record.content]),
      [
        ['P', '0123456789abcdef'],
        ['P', 'ghijklmnopqrstuv'],
        ['F', 'wxyz'],
      ],
    );
    const last = records[records.length - 1] as LogRecord;
    assert.equal(last.tag, 'P', 'the line cut short by EOF ends in a P record');
    await io.close();
  });

  it('with a tty there is only a stdout FIFO, logged as stdout', async () => {
    const opts = options({ tty: true });
    const io = await created(opts);
    assert.equal(io.paths.stderr, '');
    assert.deepEqual(await readdir(opts.dir), ['stdout']);
    await io.start();
    const tty = openFd(io.paths.stdout, 'w');
    const { exited } = spawnShell('echo to-out; echo to-err >&2', tty, tty);
    closeFd(tty);
    io.taskStarted();
    await exited;
    await io.drained(2000);
    assert.deepEqual(await readRecords(opts.logPath), [
      { stream: 'stdout', tag: 'F', content: 'to-out' },
      { stream: 'stdout', tag: 'F', content: 'to-err' },
    ]);
    await io.close();
  });

  it('sees EOF only once the writer closes', async () => {
    const opts = options({ tty: true });
    const io = await created(opts);
    await io.start();
    const writer = openFd(io.paths.stdout, 'w');
    io.taskStarted();
    writeSync(writer, 'still running\n');
    await waitFor('the first record', async () => (await readFile(opts.logPath, 'utf8')).includes('still running'), 5000);

    const started = Date.now();
    await io.drained(300);
    assert.ok(Date.now() - started >= 250, 'drained() waited for its timeout');
    assert.ok(opts.messages.includes(NOT_DRAINED), 'the timeout was logged');

    writeSync(writer, 'last words\n');
    closeFd(writer);
    opts.messages.length = 0;
    await io.drained(2000);
    assert.ok(!opts.messages.includes(NOT_DRAINED));
    assert.deepEqual(
      (await readRecords(opts.logPath)).map((record) => record.content),
      ['still running', 'last words'],
    );
    await io.close();
  });

  it('before taskStarted() the placeholder writer holds EOF back', async () => {
    const opts = options({ tty: true });
    const io = await created(opts);
    await io.start();
    const writer = openFd(io.paths.stdout, 'w');
    writeSync(writer, 'early\n');
    closeFd(writer);
    await io.drained(200);
    assert.ok(opts.messages.includes(NOT_DRAINED), 'the placeholder writer keeps the stream open');
    io.taskStarted();
    await io.drained(2000);
    assert.deepEqual((await readRecords(opts.logPath)).map((record) => record.content), ['early']);
    await io.close();
  });

  it('writes stdin through the FIFO and closeStdin() gives the reader EOF', async () => {
    const opts = options({ stdin: true, tty: true });
    const io = await created(opts);
    assert.equal(io.paths.stdin, join(opts.dir, 'stdin'));
    await io.start();
    const stdin = io.stdin();
    assert.ok(stdin, 'a stdin writer');
    stdin.write('hello\n');

    const head = spawn('head', ['-n1', io.paths.stdin], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(head);
    let headOut = '';
    head.stdout.setEncoding('utf8').on('data', (data: string) => (headOut += data));
    await once(head, 'exit');
    assert.equal(headOut, 'hello\n');

    const cat = spawn('cat', [io.paths.stdin], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(cat);
    const catExited = once(cat, 'exit');
    let catOut = '';
    cat.stdout.setEncoding('utf8').on('data', (data: string) => (catOut += data));
    stdin.write('bye\n');
    await waitFor('cat to read stdin', () => catOut === 'bye\n', 5000);
    io.closeStdin();
    io.closeStdin();
    assert.equal(io.stdin(), undefined);
    const [code] = (await catExited) as [number | null];
    assert.equal(code, 0, 'cat saw EOF');
    assert.equal(catOut, 'bye\n');
    await io.close();

    const noStdin = await created(options());
    await noStdin.start();
    assert.equal(noStdin.stdin(), undefined);
    await noStdin.close();
  });

  it('reattach: output written while cri-ts was away lands in the log, a cut line continues', async () => {
    const opts = options();
    const io = await created(opts);
    await io.start();
    // The shim's write ends, and the read ends it keeps so writes never fail with EPIPE.
    const out = openFd(io.paths.stdout, 'w');
    const err = openFd(io.paths.stderr, 'w');
    const shimReaders = [io.paths.stdout, io.paths.stderr].map((path) => openFd(path, constants.O_RDONLY | constants.O_NONBLOCK));
    io.taskStarted();
    writeSync(out, 'before 1\nhalf-');
    writeSync(err, 'err before\n');
    await waitFor('the first records', async () => {
      const text = await readFile(opts.logPath, 'utf8');
      return text.includes('before 1') && text.includes('err before');
    }, 5000);
    await io.close();
    ios.delete(io);

    // cri-ts is away: the container keeps writing into the pipes.
    writeSync(out, 'rest\nmeanwhile 2\n');
    writeSync(err, 'err meanwhile\n');

    const again = await ContainerIo.reattach({ ...opts });
    ios.add(again);
    assert.deepEqual(again.paths, io.paths);
    writeSync(out, 'after\n');
    closeFd(out);
    closeFd(err);
    await again.drained(2000);
    assert.ok(!opts.messages.includes(NOT_DRAINED));
    for (const fd of shimReaders) closeFd(fd);

    const records = await readRecords(opts.logPath);
    assert.deepEqual(
      records.filter((record) => record.stream === 'stdout').map((record) => [record.tag, record.content]),
      [
        ['F', 'before 1'],
        ['P', 'half-'],
        ['F', 'rest'],
        ['F', 'meanwhile 2'],
        ['F', 'after'],
      ],
    );
    assert.deepEqual(
      records.filter((record) => record.stream === 'stderr').map((record) => record.content),
      ['err before', 'err meanwhile'],
    );
    await again.close();
  });

  it('reattach to missing FIFOs fails with NotFound; remove() deletes the directory', async () => {
    const opts = options();
    const io = await created(opts);
    await io.close();
    await ContainerIo.remove(opts.dir);
    await assert.rejects(readdir(opts.dir), { code: 'ENOENT' });
    await ContainerIo.remove(opts.dir);
    await assert.rejects(ContainerIo.reattach(opts), { name: 'NotFoundError' });
  });
});
