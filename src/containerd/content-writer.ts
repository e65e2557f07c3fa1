import type * as grpc from '@grpc/grpc-js';
import { CriError, ignoreNotFound, isCriError } from '../errors.js';
import type { WriteContentRequest } from '../generated/containerd/containerd/services/content/v1/WriteContentRequest.js';
import type { WriteContentResponse__Output } from '../generated/containerd/containerd/services/content/v1/WriteContentResponse.js';
import type { ContainerdClient } from './client.js';
import { fromContainerdError, isServiceError } from './connection.js';

/** The bytes of one WRITE: a few reads of an HTTP body, small enough to keep memory flat. */
const CHUNK_BYTES = 256 * 1024;
/** WRITEs sent before the first of them must be answered: 1 MiB on its way to containerd at most. */
const MAX_UNANSWERED_WRITES = 4;

/** A blob's bytes as they arrive; `close` lets go of a stream not read to its end (an HTTP response, say). */
export type BlobStream = (AsyncIterable<Uint8Array> | Iterable<Uint8Array>) & { close?(): void };

export interface BlobSource {
  /** The blob's bytes from `offset` on (a registry Range request, say). */
  open(offset: number): Promise<BlobStream>;
}

export interface WriteBlobOptions {
  /** Ingest reference: the same ref resumes an interrupted write of the same blob. */
  ref: string;
  digest: string;
  size: number;
  labels?: Record<string, string>;
  lease?: string;
  signal?: AbortSignal;
  /** False opens the source only once STAT has answered (a retry after the ingest was locked: another writer holds it, and likely the blob soon). */
  openWithStat?: boolean;
  /** Called as bytes are acknowledged by containerd (done includes a resumed prefix). */
  onProgress?: (done: number, total: number) => void;
}

export type WriteBlobResult = 'written' | 'already-present';

type WriteCall = grpc.ClientDuplexStream<WriteContentRequest, WriteContentResponse__Output>;

/**
 * Writes one blob into containerd's content store through the bidirectional
 * Write call: STAT to learn how much an earlier ingest already holds (resume
 * from there), WRITE the rest, COMMIT with the expected digest and size so
 * containerd verifies them. A blob already in the store is not written again.
 *
 * The source is opened while STAT is answered (both are round trips, and
 * STAT nearly always finds nothing yet); it is let go at once when STAT finds
 * the blob, or part of it to resume from. Its pieces (an HTTP body arrives in
 * 16–64 KiB reads) are gathered into chunks of CHUNK_BYTES, and WRITEs are
 * sent as the chunks fill, without waiting for containerd's answer to each
 * (it answers them in order): the bytes reach containerd while the rest
 * downloads, rather than one round trip per piece after it. The last chunk
 * rides on the COMMIT. Aborting `signal` lets go of the source too, so a
 * stalled download does not hold the write.
 */
export async function writeBlob(client: ContainerdClient, source: BlobSource, options: WriteBlobOptions): Promise<WriteBlobResult> {
  const call = client.writeContent({ ...(options.lease ? { lease: options.lease } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const responses = call[Symbol.asyncIterator]() as AsyncIterator<WriteContentResponse__Output>;
  const answer = async (): Promise<WriteContentResponse__Output> => {
    const next = await responses.next();
    if (next.done) throw new CriError('Internal', `containerd closed the content write of ${options.digest} early`);
    return next.value;
  };
  /** Where each WRITE sent and not yet answered ends. */
  const unanswered: number[] = [];
  const awaitOldestWrite = async (): Promise<void> => {
    await answer();
    const written = unanswered.shift()!;
    options.onProgress?.(written, options.size);
  };
  let stream: BlobStream | undefined;
  const letGo = (): void => stream?.close?.();
  options.signal?.addEventListener('abort', letGo, { once: true });
  const early = options.openWithStat === false ? undefined : source.open(0);
  // Awaited (or let go) once STAT answers; a failed open must not count as unhandled meanwhile.
  early?.catch(() => undefined);
  try {
    const status = await send(call, { action: 'STAT', ref: options.ref, total: options.size, expected: options.digest }).then(answer);
    let offset = Number(status.offset);
    if (offset > options.size) offset = 0;
    if (early && offset === 0) stream = await early;
    else if (early) void closeWhenOpen(early);
    if (!stream && offset < options.size) stream = await source.open(offset);
    if (options.signal?.aborted) letGo();
    let last: Buffer | undefined;
    if (stream) {
      for await (const chunk of inChunks(stream, CHUNK_BYTES)) {
        if (last) {
          if (unanswered.length >= MAX_UNANSWERED_WRITES) await awaitOldestWrite();
          await send(call, { action: 'WRITE', ref: options.ref, offset, data: last });
          offset += last.length;
          unanswered.push(offset);
        }
        last = chunk;
      }
    }
    await send(call, {
      action: 'COMMIT',
      ref: options.ref,
      offset,
      total: options.size,
      expected: options.digest,
      ...(last ? { data: last } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
    });
    while (unanswered.length > 0) await awaitOldestWrite();
    await answer();
    if (last) options.onProgress?.(offset + last.length, options.size);
    call.end();
    return 'written';
  } catch (err) {
    call.cancel();
    letGo();
    if (early) void closeWhenOpen(early);
    return writeFailed(err, options.digest);
  } finally {
    options.signal?.removeEventListener('abort', letGo);
  }
}

/** Lets go of a stream once it is open; one that failed to open needs nothing. */
async function closeWhenOpen(opening: Promise<BlobStream>): Promise<void> {
  try {
    (await opening).close?.();
  } catch {
    // Nothing was opened.
  }
}

/** The pieces of `source` regathered into chunks of exactly `size` bytes, the last one shorter (none for an empty source). */
export async function* inChunks(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const piece of source) {
    let rest = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (heldBytes + rest.length >= size) {
      const take = size - heldBytes;
      held.push(rest.subarray(0, take));
      yield held.length === 1 ? held[0]! : Buffer.concat(held, size);
      rest = rest.subarray(take);
      held = [];
      heldBytes = 0;
    }
    if (rest.length > 0) {
      held.push(rest);
      heldBytes += rest.length;
    }
  }
  if (heldBytes > 0) yield held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
}

/**
 * Writes a blob held in memory (a manifest, a config) in one exchange: a
 * COMMIT carrying all its bytes from offset 0, which containerd writes and
 * verifies before committing (an unfinished ingest of the same ref is
 * truncated first). One round trip instead of writeBlob's three.
 */
export async function writeBlobAtOnce(client: ContainerdClient, bytes: Buffer, options: Omit<WriteBlobOptions, 'onProgress'>): Promise<WriteBlobResult> {
  const call = client.writeContent({ ...(options.lease ? { lease: options.lease } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const responses = call[Symbol.asyncIterator]() as AsyncIterator<WriteContentResponse__Output>;
  try {
    await send(call, {
      action: 'COMMIT',
      ref: options.ref,
      offset: 0,
      total: options.size,
      expected: options.digest,
      data: bytes,
      ...(options.labels ? { labels: options.labels } : {}),
    });
    const next = await responses.next();
    if (next.done) throw new CriError('Internal', `containerd closed the content write of ${options.digest} early`);
    call.end();
    return 'written';
  } catch (err) {
    call.cancel();
    return writeFailed(err, options.digest);
  }
}

function writeFailed(err: unknown, digest: string): WriteBlobResult {
  const error = isServiceError(err) ? fromContainerdError(err, 'content.Write') : err;
  // Someone (an earlier pull, a concurrent one) already committed this digest.
  if (isCriError(error, 'AlreadyExists')) return 'already-present';
  if (isCriError(error, 'FailedPrecondition') && /digest|size/i.test(error.message)) {
    throw new CriError('FailedPrecondition', `blob ${digest} does not match its descriptor: ${error.message}`, { cause: error });
  }
  throw error;
}

function send(call: WriteCall, request: WriteContentRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    call.write(request, (err: Error | null | undefined) => (err ? reject(err) : resolve()));
  });
}

/** Drops an unfinished ingest (after a failed pull) so no partial data stays behind. */
export async function abortIngest(client: ContainerdClient, ref: string): Promise<void> {
  try {
    await client.content.Abort({ ref });
  } catch (err) {
    ignoreNotFound(err);
  }
}
