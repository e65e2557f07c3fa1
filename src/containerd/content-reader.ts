import type { ContainerdClient } from './client.js';

/** Reads a whole small blob (a manifest, a config) from the content store. */
export async function readBlob(containerd: ContainerdClient, digest: string, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const piece of containerd.readContent({ digest, offset: 0, size: 0 })) {
    size += piece.data.length;
    if (size > limit) throw new Error(`blob ${digest} is larger than ${limit} bytes`);
    chunks.push(piece.data);
  }
  return Buffer.concat(chunks);
}
