import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildConfig, buildLayer, buildManifest, MEDIA_TYPES, type Blob } from './image-push.js';

/** How the layer blob misbehaves ('good': it does not); manifest and config are always served correctly. */
export type FakeRegistryMode = 'good' | 'bad-digest' | 'truncate' | 'stall';

export interface FakeRegistry {
  readonly host: string;
  readonly url: string;
  readonly image: { repository: string; tag: string; manifestDigest: string; configDigest: string; layerDigest: string };
  /** 'METHOD /path' for every request received, in order. */
  readonly requests: string[];
  stop(): Promise<void>;
}

const REPOSITORY = 'fake/app';
const TAG = 'v1';

interface FakeImage {
  manifest: Blob;
  config: Blob;
  layer: Blob;
}

/** Random content so no content store anywhere already has this layer from an earlier run; random data does not compress, so ~200 KiB on the wire. */
function buildFakeImage(): FakeImage {
  const layer = buildLayer({ 'data/random.bin': randomBytes(200 * 1024) });
  const config = buildConfig([layer.diffId], { entrypoint: ['/bin/true'] });
  const manifest = buildManifest('docker', config, [layer]);
  return { manifest, config, layer };
}

function sendError(res: ServerResponse, status: number, code: string): void {
  const body = JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace(/_/g, ' ') }] });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendBlob(req: IncomingMessage, res: ServerResponse, blob: Blob, contentType: string): void {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': blob.bytes.length, 'Docker-Content-Digest': blob.digest });
  res.end(req.method === 'HEAD' ? undefined : blob.bytes);
}

function sendVersionCheck(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 2, 'Docker-Distribution-API-Version': 'registry/2.0' });
  res.end(req.method === 'HEAD' ? undefined : '{}');
}

/** Same length, different bytes: only a digest check can notice. */
function corrupted(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
  return copy;
}

function sendBadLayer(mode: Exclude<FakeRegistryMode, 'good'>, res: ServerResponse, layer: Blob): void {
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': layer.bytes.length, 'Docker-Content-Digest': layer.digest };
  res.writeHead(200, headers);
  if (mode === 'bad-digest') {
    res.end(corrupted(layer.bytes));
    return;
  }
  const half = layer.bytes.subarray(0, layer.bytes.length >> 1);
  // 'truncate' cuts the connection once half has reached the kernel; 'stall' just never sends the rest.
  res.write(half, () => {
    if (mode === 'truncate') res.socket?.destroy();
  });
}

function route(mode: FakeRegistryMode, image: FakeImage, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://fake').pathname;
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'UNSUPPORTED');
  if (path === '/v2/' || path === '/v2') return sendVersionCheck(req, res);
  const manifestMatch = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
  if (manifestMatch) {
    const [, repository, reference] = manifestMatch;
    if (repository !== REPOSITORY || (reference !== TAG && reference !== image.manifest.digest)) return sendError(res, 404, 'MANIFEST_UNKNOWN');
    return sendBlob(req, res, image.manifest, MEDIA_TYPES.docker.manifest);
  }
  const blobMatch = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path);
  if (!blobMatch || blobMatch[1] !== REPOSITORY) return sendError(res, 404, 'NAME_UNKNOWN');
  if (blobMatch[2] === image.config.digest) return sendBlob(req, res, image.config, 'application/octet-stream');
  if (blobMatch[2] !== image.layer.digest) return sendError(res, 404, 'BLOB_UNKNOWN');
  if (method === 'HEAD' || mode === 'good') return sendBlob(req, res, image.layer, 'application/octet-stream');
  sendBadLayer(mode, res, image.layer);
}

/** A registry that serves one good manifest and config and a layer that fails in the way `mode` names (or not, 'good'). */
export async function startFakeRegistry(mode: FakeRegistryMode): Promise<FakeRegistry> {
  const image = buildFakeImage();
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://fake').pathname}`);
    route(mode, image, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `http://${host}`,
    image: {
      repository: REPOSITORY,
      tag: TAG,
      manifestDigest: image.manifest.digest,
      configDigest: image.config.digest,
      layerDigest: image.layer.digest,
    },
    requests,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A stalled response keeps its socket open forever; close() alone would wait for it.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
