import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { basicAuth, httpRequest, type HttpResponse } from './registry.js';

export type MediaTypeFamily = 'docker' | 'oci';

export interface Credentials {
  username: string;
  password: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PushTestImageOptions {
  credentials?: Credentials;
  /** Path in the image -> content (or a symlink); goes into the last layer. Default: one small file. */
  files?: Record<string, TarContent>;
  /** Default 1; each layer has distinct content. */
  layers?: number;
  /** Owner and mode of entries of `files` (directories end in "/", as "data/"); root and 0644/0755 otherwise. */
  owners?: Record<string, TarOwner>;
  user?: string;
  entrypoint?: string[];
  /** The config's Volumes. */
  volumes?: string[];
  mediaTypes?: MediaTypeFamily;
  /** Written into the image config; default linux/amd64. */
  platform?: Platform;
}

export interface PushedImage {
  /** host/repo:tag */
  reference: string;
  repository: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** The exact manifest bytes pushed, so the manifest can be pushed again elsewhere. */
  manifest: Buffer;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
  manifestSize: number;
  /** manifest + config + layers bytes */
  totalSize: number;
}

export interface PushedIndex {
  reference: string;
  indexDigest: string;
  indexMediaType: string;
  index: Buffer;
}

export const MEDIA_TYPES = {
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  },
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
    index: 'application/vnd.oci.image.index.v1+json',
  },
} as const;

/** Every manifest and index type, for Accept headers. */
export const ALL_MANIFEST_TYPES = [MEDIA_TYPES.docker.manifest, MEDIA_TYPES.docker.index, MEDIA_TYPES.oci.manifest, MEDIA_TYPES.oci.index].join(', ');

export const sha256Digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// ---- a minimal deterministic ustar writer: no tar binary, no temp files, byte-identical every run ----

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export interface TarOwner {
  uid: number;
  gid: number;
  mode: number;
}

/** A symbolic link in a layer, pointing at `symlink`. */
export interface TarSymlink {
  symlink: string;
}

export type TarContent = string | Buffer | TarSymlink;

const isSymlink = (content: TarContent): content is TarSymlink => typeof content === 'object' && !Buffer.isBuffer(content);

function tarHeader(name: string, size: number, type: '0' | '2' | '5', owner: TarOwner, linkName = ''): Buffer {
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(linkName) > 100) throw new Error(`tar entry name too long for this writer: ${name}`);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write(linkName, 157, 100);
  header.write(octal(owner.mode, 8), 100);
  header.write(octal(owner.uid, 8), 108);
  header.write(octal(owner.gid, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(0, 12), 136); // mtime
  header.write('        ', 148); // checksum counts as spaces while summing
  header.write(type, 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.write('root', 265);
  header.write('root', 297);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** An uncompressed tar of `files` (a name ending in "/" is a directory), with parent directories as entries, sorted by name. */
export function buildTar(files: Record<string, TarContent>, owners: Record<string, TarOwner> = {}): Buffer {
  const entries = new Map<string, Buffer | TarSymlink | null>();
  for (const [path, content] of Object.entries(files)) {
    const parts = path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) entries.set(`${parts.slice(0, i).join('/')}/`, null);
    if (!path.endsWith('/')) entries.set(parts.join('/'), isSymlink(content) || Buffer.isBuffer(content) ? content : Buffer.from(content));
  }
  const blocks: Buffer[] = [];
  for (const name of [...entries.keys()].sort()) {
    const content = entries.get(name);
    if (content && isSymlink(content)) {
      blocks.push(tarHeader(name, 0, '2', { uid: 0, gid: 0, mode: 0o777 }, content.symlink));
      continue;
    }
    if (!content) {
      blocks.push(tarHeader(name, 0, '5', owners[name] ?? { uid: 0, gid: 0, mode: 0o755 }));
      continue;
    }
    const owner = owners[name] ?? { uid: 0, gid: 0, mode: 0o644 };
    blocks.push(tarHeader(name, content.length, '0', owner), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface Blob {
  digest: string;
  bytes: Buffer;
}

export interface Layer extends Blob {
  diffId: string;
}

export function buildLayer(files: Record<string, TarContent>, owners: Record<string, TarOwner> = {}): Layer {
  const tar = buildTar(files, owners);
  const bytes = gzipSync(tar, { level: 6 });
  return { digest: sha256Digest(bytes), bytes, diffId: sha256Digest(tar) };
}

export function buildConfig(diffIds: string[], options: { user?: string; entrypoint?: string[]; volumes?: string[]; platform?: Platform } = {}): Blob {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: '1970-01-01T00:00:00Z',
    config: {
      ...(options.user !== undefined ? { User: options.user } : {}),
      ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
      ...(options.volumes ? { Volumes: Object.fromEntries(options.volumes.map((v) => [v, {}])) } : {}),
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  const bytes = Buffer.from(JSON.stringify(config));
  return { digest: sha256Digest(bytes), bytes };
}

export function buildManifest(family: MediaTypeFamily, config: Blob, layers: Blob[]): Blob {
  const types = MEDIA_TYPES[family];
  const manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, size: config.bytes.length, digest: config.digest },
    layers: layers.map((layer) => ({ mediaType: types.layer, size: layer.bytes.length, digest: layer.digest })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  return { digest: sha256Digest(bytes), bytes };
}

/** Layer i holds a marker file naming the image, so layers differ from each other and from other images'. */
function buildLayers(repository: string, tag: string, count: number, files: Record<string, TarContent>, owners: Record<string, TarOwner> = {}): Layer[] {
  const layers: Layer[] = [];
  for (let i = 0; i < count; i++) {
    const marker = { [`etc/cri-ts-test/layer-${i}`]: `layer ${i} of ${repository}:${tag}\n` };
    layers.push(i === count - 1 ? buildLayer({ ...marker, ...files }, owners) : buildLayer(marker));
  }
  return layers;
}

// ---- the registry HTTP API ----

function authHeaders(credentials?: Credentials): Record<string, string> {
  return credentials ? { Authorization: basicAuth(credentials) } : {};
}

function expectStatus(response: HttpResponse, expected: number[], what: string): void {
  if (expected.includes(response.status)) return;
  const hint = response.status === 401 ? ` (challenge: ${response.headers['www-authenticate'] ?? 'none'})` : '';
  throw new Error(`${what}: HTTP ${response.status}${hint}: ${response.body.toString('utf8').slice(0, 500)}`);
}

async function blobExists(registryUrl: string, repository: string, digest: string, credentials?: Credentials): Promise<boolean> {
  const response = await httpRequest(`${registryUrl}/v2/${repository}/blobs/${digest}`, { method: 'HEAD', headers: authHeaders(credentials) });
  return response.status === 200;
}

/** Monolithic upload: POST opens a session, one PUT with ?digest= completes it. */
export async function pushBlob(registryUrl: string, repository: string, blob: Blob, credentials?: Credentials): Promise<void> {
  if (await blobExists(registryUrl, repository, blob.digest, credentials)) return;
  const started = await httpRequest(`${registryUrl}/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
    headers: { ...authHeaders(credentials), 'Content-Length': 0 },
  });
  expectStatus(started, [202], `start upload of ${blob.digest} to ${repository}`);
  const location = new URL(String(started.headers.location), registryUrl);
  location.searchParams.set('digest', blob.digest);
  const finished = await httpRequest(location.href, {
    method: 'PUT',
    headers: { ...authHeaders(credentials), 'Content-Type': 'application/octet-stream', 'Content-Length': blob.bytes.length },
    body: blob.bytes,
  });
  expectStatus(finished, [201], `upload ${blob.digest} to ${repository}`);
}

/** Links a blob another repository of the same registry holds, without sending its bytes. */
async function mountBlob(registryUrl: string, repository: string, from: string, digest: string, credentials?: Credentials): Promise<void> {
  if (await blobExists(registryUrl, repository, digest, credentials)) return;
  const query = new URLSearchParams({ mount: digest, from });
  const response = await httpRequest(`${registryUrl}/v2/${repository}/blobs/uploads/?${query}`, {
    method: 'POST',
    headers: { ...authHeaders(credentials), 'Content-Length': 0 },
  });
  expectStatus(response, [201], `mount ${digest} from ${from} into ${repository}`);
}

export async function pushManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  manifest: Blob,
  mediaType: string,
  credentials?: Credentials,
): Promise<void> {
  const response = await httpRequest(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...authHeaders(credentials), 'Content-Type': mediaType, 'Content-Length': manifest.bytes.length },
    body: manifest.bytes,
  });
  expectStatus(response, [201], `push manifest ${repository}:${reference}`);
  const digest = response.headers['docker-content-digest'];
  if (digest !== manifest.digest) throw new Error(`registry stored ${repository}:${reference} as ${String(digest)}, expected ${manifest.digest}`);
}

const hostOf = (registryUrl: string): string => new URL(registryUrl).host;

/** Builds an image from scratch (deterministic layers, config, manifest) and pushes it the way a client would. */
export async function pushTestImage(registryUrl: string, repository: string, tag: string, options: PushTestImageOptions = {}): Promise<PushedImage> {
  const family = options.mediaTypes ?? 'docker';
  const layers = buildLayers(repository, tag, options.layers ?? 1, options.files ?? { 'hello.txt': `hello from ${repository}:${tag}\n` }, options.owners);
  const diffIds = layers.map((layer) => layer.diffId);
  const config = buildConfig(diffIds, options);
  const manifest = buildManifest(family, config, layers);
  for (const blob of [...layers, config]) await pushBlob(registryUrl, repository, blob, options.credentials);
  await pushManifest(registryUrl, repository, tag, manifest, MEDIA_TYPES[family].manifest, options.credentials);
  return {
    reference: `${hostOf(registryUrl)}/${repository}:${tag}`,
    repository,
    manifestDigest: manifest.digest,
    manifestMediaType: MEDIA_TYPES[family].manifest,
    manifest: manifest.bytes,
    configDigest: config.digest,
    layerDigests: layers.map((layer) => layer.digest),
    diffIds,
    manifestSize: manifest.bytes.length,
    totalSize: manifest.bytes.length + config.bytes.length + layers.reduce((sum, layer) => sum + layer.bytes.length, 0),
  };
}

/** Makes `image` available by digest in `repository`, mounting its blobs when it was pushed elsewhere. */
async function ensureManifestIn(registryUrl: string, repository: string, image: PushedImage, credentials?: Credentials): Promise<void> {
  if (image.repository === repository) return; // pushing by tag already made it addressable by digest
  for (const digest of [image.configDigest, ...image.layerDigests]) await mountBlob(registryUrl, repository, image.repository, digest, credentials);
  const manifest = { digest: image.manifestDigest, bytes: image.manifest };
  await pushManifest(registryUrl, repository, image.manifestDigest, manifest, image.manifestMediaType, credentials);
}

/** Pushes an OCI image index (default) or a docker manifest list over already-pushed images. */
export async function pushTestIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  manifests: Array<{ image: PushedImage; platform: Platform }>,
  options: { credentials?: Credentials; mediaTypes?: MediaTypeFamily } = {},
): Promise<PushedIndex> {
  const indexMediaType = MEDIA_TYPES[options.mediaTypes ?? 'oci'].index;
  for (const { image } of manifests) await ensureManifestIn(registryUrl, repository, image, options.credentials);
  const index = {
    schemaVersion: 2,
    mediaType: indexMediaType,
    manifests: manifests.map(({ image, platform }) => ({
      mediaType: image.manifestMediaType,
      size: image.manifestSize,
      digest: image.manifestDigest,
      platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
    })),
  };
  const bytes = Buffer.from(JSON.stringify(index, null, 2));
  const blob = { digest: sha256Digest(bytes), bytes };
  await pushManifest(registryUrl, repository, tag, blob, indexMediaType, options.credentials);
  return { reference: `${hostOf(registryUrl)}/${repository}:${tag}`, indexDigest: blob.digest, indexMediaType, index: bytes };
}
