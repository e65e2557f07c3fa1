import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import { type BlobSource, inChunks, writeBlob } from '../../../src/containerd/content-writer.js';
import { type StandInContainerd, startStandInContainerd } from '../../harness/stand-in-containerd.js';

const MiB = 1024 * 1024;
const CHUNK = 256 * 1024;

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

/** `total` bytes (each the low byte of its offset) in pieces of `piece` bytes, from `offset`. */
function piecesOf(total: number, piece: number, offset = 0): Buffer[] {
  const all = Buffer.alloc(total);
  for (let i = 0; i < total; i++) all[i] = i & 0xff;
  const out: Buffer[] = [];
  for (let at = offset; at < total; at += piece) out.push(all.subarray(at, Math.min(at + piece, total)));
  return out;
}

describe('inChunks', () => {
  it('gathers small pieces into chunks of the given size, the last one shorter', async () => {
    const chunks = await collect(inChunks(piecesOf(2 * MiB + 1000, 16 * 1024), MiB));
    assert.deepEqual(chunks.map((c) => c.length), [MiB, MiB, 1000]);
    assert.ok(Buffer.concat(chunks).equals(Buffer.concat(piecesOf(2 * MiB + 1000, 16 * 1024))));
  });

  it('splits a piece larger than a chunk, and yields nothing for an empty source', async () => {
    assert.deepEqual((await collect(inChunks([Buffer.alloc(25)], 10))).map((c) => c.length), [10, 10, 5]);
    assert.deepEqual(await collect(inChunks([], 10)), []);
    assert.deepEqual((await collect(inChunks([Buffer.alloc(10), Buffer.alloc(0)], 10))).map((c) => c.length), [10]);
  });
});

interface SeenRequest {
  action: string;
  offset: number;
  bytes: number;
}

/**
 * A stand-in Content.Write: answers every request in order and records what
 * each carried; STAT reports `ingested` bytes already there. With `holdWrites`
 * it answers no WRITE until it has that many (or the COMMIT), as a busy
 * containerd would: a writer waiting for each answer before sending on stalls.
 */
describe('writeBlob against a stand-in content store', { timeout: 10_000 }, () => {
  let standIn: StandInContainerd;
  let client: ContainerdClient;
  let seen: SeenRequest[] = [];
  let ingested = 0;
  let holdWrites = 0;

  before(async () => {
    standIn = await startStandInContainerd(
      {
        'content.v1.Content': {
          Write: (call: grpc.ServerDuplexStream<{ action: string; offset: string; data: Buffer; ref: string }, unknown>) => {
            const held: Array<{ action: string; offset: number }> = [];
            call.on('data', (request: { action: string; offset: string; data: Buffer; ref: string }) => {
              if (request.ref === 'present') {
                call.emit('error', { code: grpc.status.ALREADY_EXISTS, details: 'content sha256:p: already exists' });
                return;
              }
              const offset = Number(request.offset);
              seen.push({ action: request.action, offset, bytes: request.data.length });
              held.push({ action: request.action, offset: request.action === 'STAT' ? ingested : offset + request.data.length });
              if (request.action === 'WRITE' && held.length < holdWrites) return;
              for (const answer of held.splice(0)) call.write(answer);
            });
            call.on('end', () => call.end());
          },
        },
      },
      5000,
    );
    client = standIn.client;
  });

  after(() => standIn.stop());

  /** Records each open by its offset, and each close as -1 - offset. */
  const sourceFrom = (size: number, piece: number, opened: number[]): BlobSource => ({
    async open(offset) {
      opened.push(offset);
      return Object.assign(piecesOf(size, piece, offset), { close: () => opened.push(-1 - offset) });
    },
  });

  it('writes an HTTP-sized stream in 256 KiB WRITEs sent without waiting for each answer, the rest riding on the COMMIT', async () => {
    seen = [];
    ingested = 0;
    holdWrites = 4;
    const progress: number[] = [];
    const size = 2 * MiB + 5000;
    const opened: number[] = [];
    const result = await writeBlob(client, sourceFrom(size, 16 * 1024, opened), { ref: 'r1', digest: 'sha256:x', size, onProgress: (done) => progress.push(done) });
    holdWrites = 0;
    assert.equal(result, 'written');
    assert.deepEqual(opened, [0]);
    const writes = Array.from({ length: 8 }, (_, i) => ({ action: 'WRITE', offset: i * CHUNK, bytes: CHUNK }));
    assert.deepEqual(seen, [{ action: 'STAT', offset: 0, bytes: 0 }, ...writes, { action: 'COMMIT', offset: 2 * MiB, bytes: 5000 }]);
    assert.deepEqual(progress, [...writes.map((w) => w.offset + CHUNK), size]);
  });

  it('resumes from what the ingest holds, and commits without data when it holds everything', async () => {
    seen = [];
    ingested = MiB;
    const opened: number[] = [];
    await writeBlob(client, sourceFrom(MiB + CHUNK + 10, 4096, opened), { ref: 'r2', digest: 'sha256:y', size: MiB + CHUNK + 10 });
    // Opened from the start while STAT was answered, let go, and opened again where the ingest stopped.
    assert.deepEqual(opened, [0, MiB, -1]);
    assert.deepEqual(seen.slice(1), [
      { action: 'WRITE', offset: MiB, bytes: CHUNK },
      { action: 'COMMIT', offset: MiB + CHUNK, bytes: 10 },
    ]);

    seen = [];
    ingested = 300;
    opened.length = 0;
    await writeBlob(client, sourceFrom(300, 100, opened), { ref: 'r3', digest: 'sha256:z', size: 300 });
    assert.deepEqual(opened, [0, -1]);
    assert.deepEqual(seen.slice(1), [{ action: 'COMMIT', offset: 300, bytes: 0 }]);

    // A retry after a locked ingest opens only once STAT has answered.
    opened.length = 0;
    ingested = 0;
    await writeBlob(client, sourceFrom(300, 100, opened), { ref: 'r4', digest: 'sha256:w', size: 300, openWithStat: false });
    assert.deepEqual(opened, [0]);
  });

  it('lets go of the stream it opened when containerd has the blob already', async () => {
    const opened: number[] = [];
    assert.equal(await writeBlob(client, sourceFrom(300, 100, opened), { ref: 'present', digest: 'sha256:p', size: 300 }), 'already-present');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(opened, [0, -1]);
  });

  it('lets go of a stalled stream when the write is aborted', async () => {
    const abort = new AbortController();
    let closed = false;
    const stalled: BlobSource = {
      async open() {
        let wake: (() => void) | undefined;
        return {
          async *[Symbol.asyncIterator]() {
            yield Buffer.alloc(1000);
            await new Promise<void>((resolve) => (wake = resolve));
            throw new Error('the connection was closed');
          },
          close: () => {
            closed = true;
            wake?.();
          },
        };
      },
    };
    ingested = 0;
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(writeBlob(client, stalled, { ref: 'r5', digest: 'sha256:s', size: 5000, signal: abort.signal }));
    assert.equal(closed, true);
  });
});
