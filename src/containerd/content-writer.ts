import type * as grpc from '@grpc/grpc-js';
import { CriError, ignoreNotFound, isCriError } from '../errors.js';
import type { WriteContentRequest } from '../generated/containerd/containerd/services/content/v1/WriteContentRequest.js';
import type { WriteContentResponse__Output } from '../generated/containerd/containerd/services/content/v1/WriteContentResponse.js';
import type { ContainerdClient } from './client.js';
import { fromContainerdError, isServiceError } from './connection.js';

/** containerd accepts messages up to 16 MiB by default; 1 MiB keeps memory flat. */
const CHUNK_BYTES = 1024 * 1024;

export interface BlobSource {
  /** The blob's bytes from `offset` on (a registry Range request, say). */
  open(offset: number): Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;
}

export interface WriteBlobOptions {
  /** Ingest reference: the same ref resumes an interrupted write of the same blob. */
  ref: string;
  digest: string;
  size: number;
  labels?: Record<string, string>;
  lease?: string;
  signal?: AbortSignal;
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
 */
export async function writeBlob(client: ContainerdClient, source: BlobSource, options: WriteBlobOptions): Promise<WriteBlobResult> {
  const call = client.writeContent({ ...(options.lease ? { lease: options.lease } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const responses = call[Symbol.asyncIterator]() as AsyncIterator<WriteContentResponse__Output>;
  const exchange = async (request: WriteContentRequest): Promise<WriteContentResponse__Output> => {
    await send(call, request);
    const next = await responses.next();
    if (next.done) throw new CriError('Internal', `containerd closed the content write of ${options.digest} early`);
    return next.value;
  };
  try {
    const status = await exchange({ action: 'STAT', ref: options.ref, total: options.size, expected: options.digest });
    let offset = Number(status.offset);
    if (offset > options.size) offset = 0;
    if (offset < options.size) {
      const stream = await source.open(offset);
      for await (const piece of stream) {
        for (let start = 0; start < piece.length; start += CHUNK_BYTES) {
          const data = piece.subarray(start, start + CHUNK_BYTES);
          await exchange({ action: 'WRITE', ref: options.ref, offset, data });
          offset += data.length;
          options.onProgress?.(offset, options.size);
        }
      }
    }
    await exchange({
      action: 'COMMIT',
      ref: options.ref,
      offset,
      total: options.size,
      expected: options.digest,
      ...(options.labels ? { labels: options.labels } : {}),
    });
    call.end();
    return 'written';
  } catch (err) {
    call.cancel();
    return writeFailed(err, options.digest);
  }
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
