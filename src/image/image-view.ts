import { CriError } from '../errors.js';
import type { ImageConfig } from './image-config.js';
import { ImageLabel } from './image-records.js';
import { formatImageReference, type ImageReference, isImageId, parseImageReference, repositoryName } from './reference.js';
import type { RootDescriptor } from './pull/registry-source.js';

/**
 * One image as CRI sees it: every containerd record whose target resolves to
 * one config. The catalog shares these between calls: read them, never change them.
 */
export interface CatalogImage {
  /** The config digest, as kubelet knows images. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Compressed bytes of the manifest, config and layers. */
  size: number;
  config: ImageConfig;
  /** Names of containerd image records that are this image (tags, digests, the ID). */
  recordNames: string[];
  target: RootDescriptor;
  pinned: boolean;
}

/** What a record's target resolves to for the host platform; immutable per target digest. */
export interface ResolvedTarget {
  configDigest: string;
  size: number;
  config: ImageConfig;
}

/** A containerd image record whose content is all there. */
export interface IndexedRecord {
  name: string;
  labels: Record<string, string>;
  target: RootDescriptor;
  resolved: ResolvedTarget;
}

/** The images of a set of records, with the lookups find needs. */
export interface ImageView {
  readonly images: readonly CatalogImage[];
  readonly byId: ReadonlyMap<string, CatalogImage>;
  readonly byTag: ReadonlyMap<string, CatalogImage>;
  readonly byRepoDigest: ReadonlyMap<string, CatalogImage>;
}

function classifyName(name: string): { kind: 'id' } | { kind: 'tag' | 'digest'; ref: ImageReference } | undefined {
  if (isImageId(name)) return { kind: 'id' };
  try {
    const ref = parseImageReference(name);
    return { kind: ref.digest ? 'digest' : 'tag', ref };
  } catch {
    return undefined;
  }
}

/** `sandboxImage` normalised, or undefined when it does not parse (then nothing is pinned for it). */
export function normalisedImageName(text: string): string | undefined {
  try {
    return formatImageReference(parseImageReference(text));
  } catch {
    return undefined;
  }
}

/**
 * Groups records into images by config digest, in record name order (as
 * containerd lists them). The sandbox image and records labelled pinned are pinned.
 */
export function buildImageView(records: Iterable<IndexedRecord>, sandboxImage: string | undefined): ImageView {
  const byId = new Map<string, CatalogImage>();
  for (const record of [...records].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const { configDigest, size, config } = record.resolved;
    let image = byId.get(configDigest);
    if (!image) {
      image = { id: configDigest, repoTags: [], repoDigests: [], size, config, recordNames: [], target: record.target, pinned: false };
      byId.set(configDigest, image);
    }
    image.recordNames.push(record.name);
    if (record.labels[ImageLabel.pinned] === ImageLabel.pinnedValue) image.pinned = true;
    const name = classifyName(record.name);
    if (name?.kind === 'tag') {
      image.repoTags.push(formatImageReference(name.ref));
      image.repoDigests.push(`${repositoryName(name.ref)}@${record.target.digest}`);
    } else if (name?.kind === 'digest') {
      image.repoDigests.push(formatImageReference(name.ref));
    }
  }
  const byTag = new Map<string, CatalogImage>();
  const byRepoDigest = new Map<string, CatalogImage>();
  for (const image of byId.values()) {
    image.repoTags = [...new Set(image.repoTags)].sort();
    image.repoDigests = [...new Set(image.repoDigests)].sort();
    if (sandboxImage && image.repoTags.includes(sandboxImage)) image.pinned = true;
    for (const tag of image.repoTags) if (!byTag.has(tag)) byTag.set(tag, image);
    for (const digest of image.repoDigests) if (!byRepoDigest.has(digest)) byRepoDigest.set(digest, image);
  }
  return { images: [...byId.values()], byId, byTag, byRepoDigest };
}

/**
 * Finds an image by ID (full, without "sha256:", or a unique hex prefix),
 * by name:tag, or by name@digest. Undefined when there is none.
 */
export function findImage(view: ImageView, text: string): CatalogImage | undefined {
  if (isImageId(text)) return view.byId.get(text.startsWith('sha256:') ? text : `sha256:${text}`);
  let ref: ImageReference | undefined;
  try {
    ref = parseImageReference(text);
  } catch (err) {
    if (!/^(sha256:)?[a-f0-9]+$/.test(text)) throw err;
  }
  if (ref) {
    const found = ref.digest ? view.byRepoDigest.get(`${repositoryName(ref)}@${ref.digest}`) : view.byTag.get(formatImageReference(ref));
    if (found) return found;
  }
  // A short ID, as `crictl images` prints them.
  const hex = text.replace(/^sha256:/, '');
  if (!/^[a-f0-9]+$/.test(hex)) return undefined;
  const matches = view.images.filter((i) => i.id.slice('sha256:'.length).startsWith(hex));
  if (matches.length > 1) throw new CriError('InvalidArgument', `image ID prefix "${text}" is ambiguous: it matches ${matches.length} images; give more digits`);
  return matches[0];
}
