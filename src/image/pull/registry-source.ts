import type { Readable } from 'node:stream';
import type { RegistryConfig } from '../../config/config.js';
import type { BlobSource, BlobStream } from '../../containerd/content-writer.js';
import { CriError } from '../../errors.js';
import { type ImageReference, formatImageReference } from '../reference.js';
import { resolveRegistryEndpoints } from '../registry/hosts-config.js';
import { HttpStallError } from '../registry/http.js';
import { RegistryClient, type RegistryCredentials } from '../registry/registry-client.js';
import { type EndpointFailure, resolveFailure } from './resolve-failure.js';

export interface RootDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

/** Where a pull's bytes come from: the first endpoint that resolved the reference. */
export interface RegistrySource {
  client: RegistryClient;
  root: RootDescriptor;
  /** The root manifest or index as the endpoint served it (`root` describes these bytes). */
  rootBytes: Buffer;
  /** `rootBytes` came from the content store: the registry said the reference still names them. */
  fromStore?: boolean;
}

/** A root manifest or index already in the content store: what the pulled name named last time, or the digest pulled. */
export interface StoredRoot {
  digest: string;
  bytes: Buffer;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Resolves `ref` against its registry's endpoints in order (mirrors from
 * hosts.toml or the mirrors table, then the registry itself), as containerd
 * does: an endpoint that fails is passed over for the next. When all fail,
 * resolveFailure picks the error that says most.
 *
 * A reference new to this node is resolved with a GET, not containerd's HEAD
 * then GET: the manifest comes with the answer, one registry round trip fewer
 * per pull, and a registry that counts manifest GETs (Docker Hub) counts one
 * either way. With `stored`, what the reference named before, the registry is
 * asked with a HEAD first (uncounted), and when the answer is the same digest
 * the stored bytes are used: a pull of an image that did not change (kubelet's
 * imagePullPolicy Always) fetches no manifest, as with containerd.
 */
export async function resolveSource(
  config: RegistryConfig,
  ref: ImageReference,
  credentials: RegistryCredentials,
  idleTimeoutMs: number,
  signal?: AbortSignal,
  stored?: StoredRoot,
): Promise<RegistrySource> {
  const endpoints = await resolveRegistryEndpoints(config, ref.domain);
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  const failures: EndpointFailure[] = [];
  for (const endpoint of endpoints) {
    const usable = ref.digest ? endpoint.capabilities.has('pull') : endpoint.capabilities.has('resolve');
    if (!usable) continue;
    const client = new RegistryClient(endpoint, ref.path, credentials, idleTimeoutMs, signal);
    try {
      if (stored) {
        const head = await client.headManifest(wanted);
        if (head && head.digest === stored.digest && head.size === stored.bytes.length) {
          return { client, root: head, rootBytes: stored.bytes, fromStore: true };
        }
      }
      const manifest = await client.fetchManifest(wanted);
      if (ref.digest && manifest.digest !== ref.digest) {
        throw new CriError('FailedPrecondition', `${client.host} answered ${manifest.digest} for ${ref.digest}`);
      }
      return { client, root: { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.body.length }, rootBytes: manifest.body };
    } catch (err) {
      if (signal?.aborted) throw err;
      failures.push({ host: client.host, err });
    }
  }
  const name = formatImageReference(ref);
  if (failures.length === 0) throw new CriError('FailedPrecondition', `no registry endpoint for ${ref.domain} may resolve ${name}; check the hosts.toml capabilities`);
  throw resolveFailure(name, failures);
}

/** The blob's bytes from the registry, resuming with a Range request where one helps. */
export function registryBlobSource(client: RegistryClient, digest: string, size: number): BlobSource {
  return {
    async open(offset: number): Promise<BlobStream> {
      const response = await client.fetchBlob(digest, offset);
      const skip = offset > 0 && response.status !== 206 ? offset : 0;
      return Object.assign(guardedBody(response.body, client.host, digest, size, offset, skip), { close: () => response.body.destroy() });
    },
  };
}

/** Streams a blob body, turning a stall or a cut connection into a clear error. */
async function* guardedBody(body: Readable, host: string, digest: string, size: number, start: number, skip: number): AsyncGenerator<Uint8Array> {
  let received = start;
  let toSkip = skip;
  try {
    for await (const chunk of body) {
      let bytes = chunk as Buffer;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, bytes.length);
        toSkip -= dropped;
        bytes = bytes.subarray(dropped);
        if (bytes.length === 0) continue;
      }
      received += bytes.length;
      yield bytes;
    }
  } catch (err) {
    const what = err instanceof HttpStallError ? describe(err) : `the connection failed (${describe(err)})`;
    throw new CriError('Unavailable', `blob ${digest} from ${host}: ${what} after ${received} of ${size} bytes`, { cause: err });
  }
  if (received < size) throw new CriError('Unavailable', `blob ${digest} from ${host}: the connection closed after ${received} of ${size} bytes`);
}
