import type { ContainerdClient } from '../containerd/client.js';
import { readBlob } from '../containerd/content-reader.js';
import { CriError } from '../errors.js';
import type { Logger } from '../log.js';
import { type ImageConfig, parseImageConfig } from './image-config.js';
import { deleteImageRecord, ImageLabel } from './image-records.js';
import { hostPlatform, parseManifestDocument, selectPlatformManifest } from './manifest.js';
import { formatImageReference, type ImageReference, isImageId, parseImageReference, repositoryName } from './reference.js';
import type { RootDescriptor } from './pull/registry-source.js';

/** One image as CRI sees it: every containerd record whose target resolves to one config. */
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

interface ResolvedTarget {
  configDigest: string;
  size: number;
  config: ImageConfig;
}

/** How long a listing of containerd's image records is reused; changes made with ctr show up after this. */
const LISTING_REUSE_MS = 1000;

function classifyName(name: string): { kind: 'id' } | { kind: 'tag' | 'digest'; ref: ImageReference } | undefined {
  if (isImageId(name)) return { kind: 'id' };
  try {
    const ref = parseImageReference(name);
    if (ref.digest) return { kind: 'digest', ref };
    return { kind: 'tag', ref };
  } catch {
    return undefined;
  }
}

/**
 * The CRI view of containerd's image records. Each call lists the records
 * afresh (one round trip, so images added or removed with ctr show up), while
 * what a target digest resolves to (config, size) is immutable and cached.
 */
export class ImageCatalog {
  private readonly resolved = new Map<string, ResolvedTarget>();
  /** The last listing, reused briefly: kubelet and benchmarks ask in bursts; pulls and removals through cri-ts drop it. */
  private recent: { at: number; images: Promise<CatalogImage[]> } | undefined;

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly sandboxImage: string,
    private readonly log: Logger,
    /** Told when cri-ts itself added or removed images (the image filesystem usage changed too). */
    private readonly onChanged: () => void = () => undefined,
  ) {}

  async list(): Promise<CatalogImage[]> {
    if (this.recent && Date.now() - this.recent.at < LISTING_REUSE_MS) return this.recent.images;
    const listing = this.listNow();
    this.recent = { at: Date.now(), images: listing };
    listing.catch(() => {
      this.recent = undefined;
    });
    return listing;
  }

  /** cri-ts itself changed the image records (a pull, a removal): the next listing reads them afresh. */
  changed(): void {
    this.recent = undefined;
    this.onChanged();
  }

  /** Deletes image records by name; the last deletion waits for containerd's garbage collection. */
  async removeRecords(names: readonly string[]): Promise<void> {
    try {
      for (const [i, name] of names.entries()) await deleteImageRecord(this.containerd, name, i === names.length - 1);
    } finally {
      this.changed();
    }
  }

  private async listNow(): Promise<CatalogImage[]> {
    const { images } = await this.containerd.images.List({ filters: [] });
    const byId = new Map<string, CatalogImage>();
    for (const record of images) {
      if (!record.target) continue;
      const target: RootDescriptor = { digest: record.target.digest, mediaType: record.target.mediaType, size: Number(record.target.size) };
      const resolved = await this.resolveTarget(target).catch((err: unknown) => {
        this.log.debug({ image: record.name, err }, 'image record skipped: its content is incomplete');
        return undefined;
      });
      if (!resolved) continue;
      let image = byId.get(resolved.configDigest);
      if (!image) {
        image = { id: resolved.configDigest, repoTags: [], repoDigests: [], size: resolved.size, config: resolved.config, recordNames: [], target, pinned: false };
        byId.set(resolved.configDigest, image);
      }
      image.recordNames.push(record.name);
      if (record.labels[ImageLabel.pinned] === ImageLabel.pinnedValue) image.pinned = true;
      const name = classifyName(record.name);
      if (name?.kind === 'tag') {
        image.repoTags.push(formatImageReference(name.ref));
        image.repoDigests.push(`${repositoryName(name.ref)}@${target.digest}`);
      } else if (name?.kind === 'digest') {
        image.repoDigests.push(formatImageReference(name.ref));
      }
    }
    const sandbox = this.sandboxImageName();
    for (const image of byId.values()) {
      image.repoTags = [...new Set(image.repoTags)].sort();
      image.repoDigests = [...new Set(image.repoDigests)].sort();
      if (sandbox && image.repoTags.includes(sandbox)) image.pinned = true;
    }
    return [...byId.values()];
  }

  /**
   * Finds an image by ID (full, without "sha256:", or a unique hex prefix),
   * by name:tag, or by name@digest. Undefined when there is none.
   */
  async find(text: string): Promise<CatalogImage | undefined> {
    const images = await this.list();
    if (isImageId(text)) {
      const id = text.startsWith('sha256:') ? text : `sha256:${text}`;
      return images.find((i) => i.id === id);
    }
    let ref: ImageReference | undefined;
    try {
      ref = parseImageReference(text);
    } catch (err) {
      if (!/^(sha256:)?[a-f0-9]+$/.test(text)) throw err;
    }
    if (ref) {
      const name = formatImageReference(ref);
      const found = ref.digest ? images.find((i) => i.repoDigests.includes(`${repositoryName(ref)}@${ref.digest}`)) : images.find((i) => i.repoTags.includes(name));
      if (found) return found;
    }
    // A short ID, as `crictl images` prints them.
    const hex = text.replace(/^sha256:/, '');
    if (/^[a-f0-9]+$/.test(hex)) {
      const matches = images.filter((i) => i.id.slice('sha256:'.length).startsWith(hex));
      if (matches.length > 1) throw new CriError('InvalidArgument', `image ID prefix "${text}" is ambiguous: it matches ${matches.length} images; give more digits`);
      return matches[0];
    }
    return undefined;
  }

  private sandboxImageName(): string | undefined {
    try {
      return formatImageReference(parseImageReference(this.sandboxImage));
    } catch {
      return undefined;
    }
  }

  private async resolveTarget(target: RootDescriptor): Promise<ResolvedTarget> {
    const cached = this.resolved.get(target.digest);
    if (cached) return cached;
    let document = parseManifestDocument(await readBlob(this.containerd, target.digest), target.mediaType, target.digest);
    let size = target.size;
    if (document.kind === 'index') {
      const chosen = selectPlatformManifest(document, hostPlatform(), target.digest);
      document = parseManifestDocument(await readBlob(this.containerd, chosen.digest), chosen.mediaType, chosen.digest);
      size += chosen.size;
      if (document.kind !== 'manifest') throw new Error(`${chosen.digest} is an index inside an index`);
    }
    const config = parseImageConfig(await readBlob(this.containerd, document.config.digest), `config ${document.config.digest}`);
    size += document.config.size + document.layers.reduce((sum, l) => sum + l.size, 0);
    const resolved = { configDigest: document.config.digest, size, config };
    this.resolved.set(target.digest, resolved);
    return resolved;
  }
}
