import type { ContainerdClient } from '../containerd/client.js';
import { readBlob } from '../containerd/content-reader.js';
import { parseImageConfig } from './image-config.js';
import type { ResolvedTarget } from './image-view.js';
import { hostPlatform, parseManifestDocument, selectPlatformManifest } from './manifest.js';
import type { RootDescriptor } from './pull/registry-source.js';

/**
 * Reads what an image record's target is for the host platform (its config,
 * its size) from the content store. Content is addressed by digest, so an
 * answer never changes and is kept; a failure (content missing) is not.
 */
export class ImageTargetResolver {
  private readonly resolved = new Map<string, Promise<ResolvedTarget>>();

  constructor(private readonly containerd: ContainerdClient) {}

  /** What a pull read for this target itself: later records of it resolve without reading content. */
  remember(digest: string, resolved: ResolvedTarget): void {
    if (!this.resolved.has(digest)) this.resolved.set(digest, Promise.resolve(resolved));
  }

  resolve(target: RootDescriptor): Promise<ResolvedTarget> {
    let resolving = this.resolved.get(target.digest);
    if (!resolving) {
      resolving = this.read(target);
      this.resolved.set(target.digest, resolving);
      resolving.catch(() => this.resolved.delete(target.digest));
    }
    return resolving;
  }

  private async read(target: RootDescriptor): Promise<ResolvedTarget> {
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
    return { configDigest: document.config.digest, size, config };
  }
}
