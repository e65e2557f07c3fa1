import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** What a registry is asked for, best first: indexes so we can pick the platform. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value) || typeof value.digest !== 'string' || typeof value.size !== 'number') {
    throw new FailedPreconditionError(`${where} is not a descriptor with a digest and a size`);
  }
  const descriptor: Descriptor = {
    mediaType: typeof value.mediaType === 'string' ? value.mediaType : '',
    digest: value.digest,
    size: value.size,
  };
  if (isObject(value.platform)) {
    const p = value.platform;
    descriptor.platform = {
      architecture: String(p.architecture ?? ''),
      os: String(p.os ?? ''),
      ...(typeof p.variant === 'string' ? { variant: p.variant } : {}),
    };
  }
  if (isObject(value.annotations)) descriptor.annotations = value.annotations as Record<string, string>;
  if (Array.isArray(value.urls)) descriptor.urls = value.urls.filter((u): u is string => typeof u === 'string');
  return descriptor;
}

/**
 * Parses a manifest or an index fetched for `reference`. The media type comes
 * from the response's Content-Type, or the document itself when the registry
 * answers a generic type. Schema 1 manifests are refused, as containerd does.
 */
export function parseManifestDocument(body: Buffer, contentType: string, reference: string): ImageManifest | ImageIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new FailedPreconditionError(`manifest of ${reference} is not valid JSON`);
  }
  if (!isObject(doc)) throw new FailedPreconditionError(`manifest of ${reference} is not a JSON object`);
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  let mediaType = contentType.split(';')[0]!.trim();
  if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') mediaType = declared;
  if (!mediaType) mediaType = Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;

  if (mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new InvalidArgumentError(
      `image ${reference} uses Docker image manifest schema 1, which is no longer supported; push it again with a current client`,
    );
  }
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    if (!Array.isArray(doc.manifests)) throw new FailedPreconditionError(`index of ${reference} has no "manifests" list`);
    return { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => parseDescriptor(m, `index of ${reference}: manifests[${i}]`)) };
  }
  if (mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest) {
    if (!Array.isArray(doc.layers)) throw new FailedPreconditionError(`manifest of ${reference} has no "layers" list`);
    return {
      kind: 'manifest',
      mediaType,
      config: parseDescriptor(doc.config, `manifest of ${reference}: config`),
      layers: doc.layers.map((l, i) => parseDescriptor(l, `manifest of ${reference}: layers[${i}]`)),
    };
  }
  throw new FailedPreconditionError(`manifest of ${reference} has unsupported media type "${mediaType}"`);
}

const ARCH_BY_NODE_ARCH: Record<string, Platform> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
};

export function hostPlatform(): Platform {
  return ARCH_BY_NODE_ARCH[process.arch] ?? { os: 'linux', architecture: process.arch };
}

function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** arm64 images often omit "v8"; treat no variant as matching the default one. */
function variantMatches(want: Platform, have: Platform): boolean {
  if (!want.variant || !have.variant) return true;
  return want.variant === have.variant;
}

/**
 * Chooses the manifest for `platform` from an index: exact os, architecture
 * and variant first, then a manifest with no variant. Attestation manifests
 * (platform unknown/unknown) never match.
 */
export function selectPlatformManifest(index: ImageIndex, platform: Platform, reference: string): Descriptor {
  const candidates = index.manifests.filter(
    (m) => m.platform && m.platform.os === platform.os && m.platform.architecture === platform.architecture,
  );
  const exact = candidates.find((m) => (m.platform!.variant ?? '') === (platform.variant ?? ''));
  const loose = candidates.find((m) => variantMatches(platform, m.platform!));
  const chosen = exact ?? loose;
  if (!chosen) {
    const offered = index.manifests.filter((m) => m.platform).map((m) => formatPlatform(m.platform!));
    throw new InvalidArgumentError(
      `image ${reference} has no manifest for ${formatPlatform(platform)} (it offers: ${offered.join(', ') || 'no platforms'})`,
    );
  }
  return chosen;
}
