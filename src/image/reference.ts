import { InvalidArgumentError } from '../errors.js';

// The grammar of docker/distribution references, as kubelet and crictl send them.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME_LENGTH = 255;

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

/** A fully qualified image reference: domain and path always set, tag and/or digest. */
export interface ImageReference {
  /** Registry host, e.g. docker.io or 127.0.0.1:5000. */
  domain: string;
  /** Repository path within the registry, e.g. library/busybox. */
  path: string;
  tag?: string;
  digest?: string;
}

function invalid(reference: string, why: string): never {
  throw new InvalidArgumentError(`image reference "${reference}" is invalid: ${why}`);
}

function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (slash === -1 || !(first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    return { domain: DEFAULT_DOMAIN, path: name };
  }
  return { domain: first, path: name.slice(slash + 1) };
}

/**
 * Parses and normalises a reference the way docker and containerd do:
 * `busybox` is `docker.io/library/busybox:latest`; a digest-only reference
 * keeps no tag. Throws InvalidArgument naming the reference and the rule.
 */
export function parseImageReference(reference: string): ImageReference {
  if (reference === '') invalid(reference, 'it is empty');
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) invalid(reference, `"${digest}" is not a digest such as sha256:<64 hex digits>`);
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) invalid(reference, 'a sha256 digest has 64 lowercase hex digits');
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) invalid(reference, `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128)`);
  }
  if (rest === '') invalid(reference, 'it has no repository name');
  if (rest.length > MAX_NAME_LENGTH) invalid(reference, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);

  let { domain, path } = splitDomain(rest);
  if (!DOMAIN.test(domain)) invalid(reference, `"${domain}" is not a valid registry host`);
  if (path !== path.toLowerCase()) invalid(reference, 'repository names must be lowercase');
  if (path === '' || path.split('/').some((c) => !COMPONENT.test(c))) {
    invalid(reference, `"${path}" is not a valid repository path (lowercase letters, digits and separators . _ __ -)`);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `${OFFICIAL_REPO_PREFIX}${path}`;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** domain/path, e.g. docker.io/library/busybox. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised string: name, then :tag, then @digest where present. */
export function formatImageReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** name:tag, as listed in repo_tags; undefined for a digest-only reference. */
export function tagReference(ref: ImageReference): string | undefined {
  return ref.tag !== undefined ? `${repositoryName(ref)}:${ref.tag}` : undefined;
}

/** name@digest, as listed in repo_digests. */
export function digestReference(ref: ImageReference, digest: string): string {
  return `${repositoryName(ref)}@${digest}`;
}

/** Whether `text` is a bare image ID (a config digest, with or without "sha256:"). */
export function isImageId(text: string): boolean {
  return SHA256_DIGEST.test(text) || /^[a-f0-9]{64}$/.test(text);
}
