// The stdio of one container task: its FIFOs, the copy of stdout/stderr into
// the CRI log file, the raw output for attach, and the stdin writer.
//
// Lifecycle: create() -> start() -> containerd Tasks.Create(paths) ->
// Tasks.Start -> taskStarted() -> (task exits) -> drained() -> close() ->
// (container removed) ContainerIo.remove(dir). After a cri-ts restart:
// reattach() -> ... as above.

import type { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { FailedPreconditionError, errorMessage } from '../../errors.js';
import { CriLogLineWriter, type CriStream } from './cri-log-format.js';
import { createFifos, openFifoReader, openFifoWriter, removeFifoDir, type FifoReader } from './fifo.js';
import { LogFile } from './log-file.js';

export interface ContainerIoOptions {
  /** Directory of the FIFOs (created by create(), removed by remove()). */
  dir: string;
  stdin: boolean;
  tty: boolean;
  /** The CRI log file; '' discards the output (still drained, still sent to attach listeners). */
  logPath: string;
  /** max_container_log_line_size; <= 0 (the config's -1) never splits lines. */
  maxLineBytes: number;
  log: Logger;
}

export type OutputListener = (stream: CriStream, chunk: Buffer) => void;

interface OutputStream {
  readonly name: CriStream;
  readonly reader: FifoReader;
  readonly lines: CriLogLineWriter;
  /** Resolves once the stream reached EOF (or was closed) and its records are written. */
  readonly done: Promise<void>;
  finished: boolean;
}

const FIFO_NAMES = { stdin: 'stdin', stdout: 'stdout', stderr: 'stderr' } as const;

function fifoPaths(options: ContainerIoOptions): { stdin: string; stdout: string; stderr: string } {
  return {
    stdin: options.stdin ? join(options.dir, FIFO_NAMES.stdin) : '',
    stdout: join(options.dir, FIFO_NAMES.stdout),
    // With a TTY the single console stream carries both and is logged as stdout.
    stderr: options.tty ? '' : join(options.dir, FIFO_NAMES.stderr),
  };
}

export class ContainerIo {
  /** FIFO paths for Tasks.Create; '' where absent. */
  readonly paths: { stdin: string; stdout: string; stderr: string };
  private readonly options: ContainerIoOptions;
  private readonly log: Logger;
  private readonly listeners = new Set<OutputListener>();
  private outputs: OutputStream[] = [];
  private logFile: LogFile | undefined;
  private stdinSocket: Socket | undefined;
  /** The stdin socket start() opened, so close() can destroy it even while it still flushes after closeStdin(). */
  private stdinOpened: Socket | undefined;
  private started = false;
  private closing: Promise<void> | undefined;

  private constructor(options: ContainerIoOptions) {
    this.options = options;
    this.log = options.log;
    this.paths = fifoPaths(options);
  }

  /** Makes the FIFOs that are missing: stdout, stderr unless tty, stdin if options.stdin. */
  private static async prepareFifos(options: Pick<ContainerIoOptions, 'dir' | 'stdin' | 'tty'>): Promise<void> {
    const names: string[] = [FIFO_NAMES.stdout];
    if (!options.tty) names.push(FIFO_NAMES.stderr);
    if (options.stdin) names.push(FIFO_NAMES.stdin);
    await createFifos(options.dir, names);
  }

  /** The IO of a task about to be created, on its FIFOs (made now where CreateContainer did not). */
  static async create(options: ContainerIoOptions): Promise<ContainerIo> {
    await ContainerIo.prepareFifos(options);
    return new ContainerIo(options);
  }

  /**
   * After a cri-ts restart, for a task the shim still holds: opens the
   * existing FIFOs again and keeps appending to logPath. The returned object is
   * already started, with its placeholder writers released (output the shim
   * buffered meanwhile is read first; if the shim already closed its write
   * ends, EOF follows at once). taskStarted() is a no-op on it.
   */
  static async reattach(options: ContainerIoOptions): Promise<ContainerIo> {
    const io = new ContainerIo(options);
    await io.start();
    io.taskStarted();
    return io;
  }

  /** Removes the FIFO directory (after the container is removed). */
  static async remove(dir: string): Promise<void> {
    await removeFifoDir(dir);
  }

  /** Open the readers and start copying into the log; call before Tasks.Create. */
  async start(): Promise<void> {
    if (this.closing) throw new FailedPreconditionError(`container IO in ${this.options.dir} is closed`);
    if (this.started) throw new FailedPreconditionError(`container IO in ${this.options.dir} already started`);
    this.started = true;
    // Opened all at once. The readers are wired only once the log is open: after a
    // reattach the pipes may hold output already, and none of it may be lost.
    const [log, stdout, stderr, stdin] = await Promise.allSettled([
      this.options.logPath !== '' ? LogFile.open(this.options.logPath, this.log) : undefined,
      openFifoReader(this.paths.stdout),
      this.paths.stderr !== '' ? openFifoReader(this.paths.stderr) : undefined,
      this.paths.stdin !== '' ? openFifoWriter(this.paths.stdin) : undefined,
    ]);
    const value = <T>(r: PromiseSettledResult<T>): T | undefined => (r.status === 'fulfilled' ? r.value : undefined);
    const failure = [log, stdout, stderr, stdin].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      for (const reader of [value(stdout), value(stderr)]) {
        reader?.releasePlaceholder();
        reader?.socket.destroy();
      }
      value(stdin)?.destroy();
      await value(log)?.close();
      this.started = false;
      throw failure.reason;
    }
    this.logFile = value(log);
    this.outputs.push(this.wire('stdout', value(stdout)!));
    const stderrReader = value(stderr);
    if (stderrReader) this.outputs.push(this.wire('stderr', stderrReader));
    const stdinSocket = value(stdin);
    if (stdinSocket) {
      stdinSocket.on('error', (err) => this.log.warn({ err: errorMessage(err) }, 'container stdin FIFO failed'));
      this.stdinSocket = stdinSocket;
      this.stdinOpened = stdinSocket;
    }
  }

  /** Call once Tasks.Start returned: closes the placeholder writers, so EOF arrives when the shim closes. */
  taskStarted(): void {
    for (const output of this.outputs) output.reader.releasePlaceholder();
  }

  /**
   * Resolves when stdout and stderr have reached EOF and every record is in
   * the log file, or after timeoutMs (then logs a warning). Never rejects.
   */
  async drained(timeoutMs: number): Promise<void> {
    const all = Promise.all(this.outputs.map((output) => output.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    try {
      const result = await Promise.race([all.then(() => false), timedOut]);
      if (result) {
        const pending = this.outputs.filter((output) => !output.finished).map((output) => output.name);
        this.log.warn({ timeoutMs, pending, dir: this.options.dir }, 'container output not drained in time');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** ReopenContainerLog: records written from now on go to a freshly opened logPath. */
  async reopenLog(): Promise<void> {
    if (this.closing) throw new FailedPreconditionError(`container IO in ${this.options.dir} is closed`);
    await this.logFile?.reopen();
  }

  /** For attach: receive raw output chunks as they arrive (returns an unsubscribe). */
  onOutput(listener: OutputListener): () => void {
    // A distinct wrapper, so the same function can subscribe twice and unsubscribe once.
    const entry: OutputListener = (stream, chunk) => listener(stream, chunk);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** For attach: the stdin writer, or undefined without stdin (or once it is closed). */
  stdin(): Writable | undefined {
    return this.stdinSocket;
  }

  /** Closes cri-ts's write end of stdin (after pending writes): the container sees EOF. Idempotent. */
  closeStdin(): void {
    const socket = this.stdinSocket;
    if (!socket) return;
    this.stdinSocket = undefined;
    // end() flushes queued writes; the socket then closes its fd by itself.
    socket.end();
  }

  /**
   * Closes everything (readers, stdin, log file). Output already read is
   * written first; a line cut short is written as a P record, so after a
   * reattach its remainder continues it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    for (const output of this.outputs) {
      output.reader.releasePlaceholder();
      if (!output.finished) {
        const socket = output.reader.socket;
        socket.pause();
        // Data the socket buffered while paused for backpressure.
        for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
          this.handleChunk(output.name, output.lines, chunk);
        }
        socket.destroy();
      }
      output.lines.end();
    }
    // Input nobody will read any more is discarded rather than waited for.
    this.stdinSocket = undefined;
    this.stdinOpened?.destroy();
    this.listeners.clear();
    await this.logFile?.close();
  }

  private wire(name: CriStream, reader: FifoReader): OutputStream {
    const { socket } = reader;
    let paused = false;
    const lines = new CriLogLineWriter(name, this.options.maxLineBytes, (record) => {
      const logFile = this.logFile;
      if (logFile && !logFile.write(record) && !paused) {
        // Backpressure: stop reading until the log file caught up; the pipe
        // fills and eventually blocks the container, as with containerd.
        paused = true;
        socket.pause();
        void logFile.flush().then(() => {
          paused = false;
          if (!socket.destroyed) socket.resume();
        });
      }
    });
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const output: OutputStream = { name, reader, lines, done, finished: false };
    const finish = (): void => {
      if (output.finished) return;
      output.finished = true;
      lines.end();
      const flushed = this.logFile?.flush() ?? Promise.resolve();
      void flushed.catch(() => {}).then(resolveDone);
    };
    socket.on('data', (chunk: Buffer) => this.handleChunk(name, lines, chunk));
    socket.once('end', finish);
    socket.once('close', finish);
    socket.on('error', (err) => {
      this.log.warn({ err: errorMessage(err), stream: name }, 'reading container output failed');
      finish();
    });
    return output;
  }

  private handleChunk(name: CriStream, lines: CriLogLineWriter, chunk: Buffer): void {
    for (const listener of this.listeners) {
      try {
        listener(name, chunk);
      } catch (err) {
        this.log.warn({ err: errorMessage(err), stream: name }, 'container output listener failed');
      }
    }
    lines.push(chunk);
  }
}
