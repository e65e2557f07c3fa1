import type { CriTsConfig } from '../../config/config.js';
import type { ContainerdClient } from '../../containerd/client.js';
import { abortIngest, type BlobSource, writeBlob, writeBlobAtOnce } from '../../containerd/content-writer.js';
import { CriError, isCriError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { metrics, withOutcome } from '../../metrics/metrics.js';
import { type ImageConfig, parseImageConfig } from '../image-config.js';
import { ImageLabel, upsertImageRecord } from '../image-records.js';
import { type Descriptor, hostPlatform, type ImageIndex, type ImageManifest, parseManifestDocument, selectPlatformManifest } from '../manifest.js';
import { digestReference, formatImageReference, type ImageReference, parseImageReference, tagReference } from '../reference.js';
import { MAX_MANIFEST_BYTES, type RegistryClient, type RegistryCredentials } from '../registry/registry-client.js';
import { readBlob } from '../../containerd/content-reader.js';
import { GcLabel } from '../../containerd/gc-labels.js';
import { chainIds } from '../chain-ids.js';
import { childLabels } from './child-labels.js';
import { PullProgress } from './pull-progress.js';
import { type RegistrySource, registryBlobSource, resolveSource, type RootDescriptor, type StoredRoot } from './registry-source.js';
import { unpackLayers } from './unpack.js';
import type { ResolvedTarget } from '../image-view.js';
import { allStepsSettled } from '../../undo-stack.js';

export interface PulledImage {
  /** The config digest: the image ID kubelet uses. */
  imageId: string;
  /** The names recorded in containerd (tag, digest, ID). */
  names: string[];
  /** What each record was written with: its labels and target, and what the target resolves to for this host (as ImageTargetResolver reads it). */
  labels: Record<string, string>;
  target: RootDescriptor;
  resolved: ResolvedTarget;
}

/** What the puller tells whoever indexes image records (the image catalog). */
export interface PulledImageRecords {
  /** These records are about to be written: containerd's events for them need not be read back. */
  writing(names: readonly string[]): void;
  /** Every record of the pull was written, as `pulled` says. */
  written(pulled: PulledImage): void;
  /** Some of these writes failed, or may not have happened: read them all back. */
  notWritten(names: readonly string[]): void;
  /** What the record `name` points at now, if there is one: a pull of a name on record asks the registry first whether it moved. */
  recordedTarget(name: string): Promise<RootDescriptor | undefined>;
}

const IGNORED_RECORDS: PulledImageRecords = { writing: () => undefined, written: () => undefined, notWritten: () => undefined, recordedTarget: async () => undefined };

/** A lease outlives a crashed pull by this much, then containerd collects what it held. */
const LEASE_EXPIRY_MS = 24 * 60 * 60 * 1000;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const LOCKED_RETRY_MS = 100;

/**
 * Runs `work` over `items`, at most `limit` at a time. The first failure (or
 * `stop` aborting) stops new work and aborts `signal` for what runs; it is
 * thrown once all have settled, so nothing is still writing when the caller
 * cleans up.
 */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T, signal: AbortSignal) => Promise<void>, stop?: AbortSignal): Promise<void> {
  const abort = new AbortController();
  let next = 0;
  let failure: { err: unknown } | undefined;
  const fail = (err: unknown): void => {
    failure ??= { err };
    abort.abort();
  };
  const stopped = (): void => fail(stop?.reason);
  if (stop?.aborted) stopped();
  else stop?.addEventListener('abort', stopped, { once: true });
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failure) {
      try {
        await work(items[next++]!, abort.signal);
      } catch (err) {
        fail(err);
      }
    }
  });
  await Promise.all(workers);
  stop?.removeEventListener('abort', stopped);
  if (failure) throw failure.err;
}

function leaseNotDeleted(log: Logger, lease: string, err: unknown): void {
  log.warn({ lease, err }, 'could not delete the pull lease yet; retrying in the background');
}

/** A promise with its resolve function (Promise.withResolvers is Node 22's). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Pulls images the way containerd's smart clients do: cri-ts speaks to the
 * registry, writes every blob into containerd's content store under one lease
 * (so garbage collection cannot take half a pull), unpacks the layers into
 * the snapshotter, then records the image. Concurrent pulls of one reference
 * share one download.
 */
export class ImagePuller {
  private readonly inFlight = new Map<string, Promise<PulledImage>>();

  constructor(
    private readonly containerd: ContainerdClient,
    private readonly config: CriTsConfig,
    private readonly log: Logger,
    /** Told of the image records each pull writes (the image index keeps them). */
    private readonly records: PulledImageRecords = IGNORED_RECORDS,
  ) {}

  pull(ref: ImageReference, credentials: RegistryCredentials): Promise<PulledImage> {
    const key = formatImageReference(ref);
    const running = this.inFlight.get(key);
    if (running) {
      this.log.info({ image: key }, 'joining a pull already under way');
      return running;
    }
    const written = { bytes: 0 };
    const pull = withOutcome(
      () => this.pullOnce(ref, credentials, written),
      (result, seconds) => metrics.imagePull(result, seconds, written.bytes),
    ).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, pull);
    return pull;
  }

  /** `written.bytes` grows by each blob the pull writes into the content store. */
  private async pullOnce(ref: ImageReference, credentials: RegistryCredentials, written: { bytes: number }): Promise<PulledImage> {
    const name = formatImageReference(ref);
    const log = this.log.child({ image: name });
    const started = Date.now();
    // The lease is made while the registry resolves the reference: one round trip less before the first byte.
    const [resolved, lease] = await Promise.allSettled([
      this.storedRoot(ref, name).then((stored) => resolveSource(this.config.registry, ref, credentials, this.config.imagePullProgressTimeoutMs, undefined, stored)),
      this.containerd.temporaryLeases.create('pull', LEASE_EXPIRY_MS),
    ]);
    if (resolved.status === 'rejected') {
      if (lease.status === 'fulfilled') await this.containerd.temporaryLeases.release(lease.value).catch((err: unknown) => leaseNotDeleted(log, lease.value, err));
      throw resolved.reason;
    }
    if (lease.status === 'rejected') throw lease.reason;
    const source = resolved.value;
    const leaseId = lease.value;
    log.info({ digest: source.root.digest, from: source.client.host, ...(source.fromStore ? { unchanged: true } : {}) }, 'pulling image');
    let result: PulledImage;
    try {
      result = await this.fetchAndStore(ref, source, leaseId, log, written);
    } catch (err) {
      // Leave nothing half-made: a failed write dropped its ingest, and the
      // lease is deleted synchronously so containerd collects what this pull committed.
      await this.containerd.temporaryLeases.release(leaseId, { sync: true }).catch((releaseErr: unknown) => leaseNotDeleted(log, leaseId, releaseErr));
      throw err;
    }
    // The image records hold everything the lease did: it goes after the answer (a RemoveImage waits for it).
    this.containerd.temporaryLeases.releaseSoon(leaseId, (err) => leaseNotDeleted(log, leaseId, err));
    log.info({ imageId: result.imageId, ms: Date.now() - started }, 'image pulled');
    this.records.written(result);
    return result;
  }

  /**
   * The root manifest or index the pulled name (or digest) named when it was last pulled, if the
   * content store still has it. A first pull has none, and goes to the registry without a HEAD.
   */
  private async storedRoot(ref: ImageReference, name: string): Promise<StoredRoot | undefined> {
    const digest = ref.digest ?? (await this.records.recordedTarget(name))?.digest;
    if (!digest) return undefined;
    const bytes = await this.storedBlob(digest, MAX_MANIFEST_BYTES);
    return bytes ? { digest, bytes } : undefined;
  }

  /** A blob from the content store; undefined when it is not there (or cannot be read: the registry has it too). */
  private storedBlob(digest: string, limit: number): Promise<Buffer | undefined> {
    return readBlob(this.containerd, digest, limit).catch(() => undefined);
  }

  /** A document from the content store when `storedFirst` and it is there, else from the registry. */
  private async storedOrFetched(storedFirst: boolean, digest: string, limit: number, fetch: () => Promise<Buffer>): Promise<Buffer> {
    return (storedFirst && (await this.storedBlob(digest, limit))) || fetch();
  }

  private async fetchAndStore(ref: ImageReference, source: RegistrySource, lease: string, log: Logger, written: { bytes: number }): Promise<PulledImage> {
    const { client, root, rootBytes } = source;
    // The registry still names the stored root: what it refers to is looked for in the content store first.
    const fromStore = source.fromStore === true;
    const name = formatImageReference(ref);
    const sourceLabel = { [GcLabel.distributionSource(ref.domain)]: ref.path };

    const rootDocument = parseManifestDocument(rootBytes, root.mediaType, name);
    let manifest: ImageManifest;
    let manifestBytes = rootBytes;
    let manifestDescriptor: Descriptor = { mediaType: rootDocument.mediaType, digest: root.digest, size: rootBytes.length };
    if (rootDocument.kind === 'index') {
      manifestDescriptor = selectPlatformManifest(rootDocument, hostPlatform(), name);
      const { digest } = manifestDescriptor;
      manifestBytes = await this.storedOrFetched(fromStore, digest, MAX_MANIFEST_BYTES, async () => (await client.fetchManifest(digest)).body);
      const inner = parseManifestDocument(manifestBytes, manifestDescriptor.mediaType, `${name} (${manifestDescriptor.digest})`);
      if (inner.kind !== 'manifest') throw new CriError('FailedPrecondition', `image ${name}: ${manifestDescriptor.digest} is an index inside an index`);
      manifest = inner;
    } else {
      manifest = rootDocument;
    }

    const snapshotter = this.config.containerd.snapshotter;
    // The layers download from here on, while the config is fetched and
    // unpacking starts: each layer's snapshot is prepared while its blob
    // arrives, and applied once it is stored. A failure anywhere stops the
    // downloads; everything settles before it is thrown, so no write is still
    // running when the caller cleans up.
    const stopDownloads = new AbortController();
    const configReady = this.fetchConfig(client, manifest, name, fromStore);
    const progress = new PullProgress(log, manifest.layers.reduce((sum, l) => sum + l.size, 0));
    const layerStored = manifest.layers.map(deferred);
    const layersWritten = eachLimited(
      manifest.layers.map((layer, index) => ({ layer, index })),
      this.config.maxConcurrentDownloads,
      async ({ layer, index }, signal) => {
        const outcome = await this.writeBlobWaitingForLock(client, layer, registryBlobSource(client, layer.digest, layer.size), {
          ref: `cri-ts-layer-${layer.digest}`,
          labels: sourceLabel,
          lease,
          signal,
          onProgress: (done, total) => progress.update(layer.digest, done, total),
          written,
          // Most likely stored already: no download is opened before containerd says it is not.
          openEarly: !fromStore,
        });
        if (outcome === 'already-present') progress.present(layer.digest, layer.size);
        layerStored[index]!.resolve();
      },
      stopDownloads.signal,
    );
    // Once every layer is written all are stored; a failed download fails the layers still awaited.
    const layerReady = (index: number): Promise<void> => Promise.race([layerStored[index]!.promise, layersWritten]);
    const writeDocument = (d: { blob: Descriptor; bytes: Buffer; ref: string; labels: Record<string, string> }): Promise<unknown> =>
      this.writeBlobWaitingForLock(client, d.blob, d.bytes, { ref: d.ref, labels: d.labels, lease, written });
    // The manifest and index are in memory already, and the config once fetched: written beside the
    // layers (the lease holds them; nothing refers to them until the image records exist).
    const documents = [
      writeDocument({ blob: manifestDescriptor, bytes: manifestBytes, ref: `cri-ts-manifest-${manifestDescriptor.digest}`, labels: { ...sourceLabel, ...childLabels(manifest, []) } }),
    ];
    if (rootDocument.kind === 'index') {
      documents.push(
        writeDocument({
          blob: { mediaType: root.mediaType, digest: root.digest, size: rootBytes.length },
          bytes: rootBytes,
          ref: `cri-ts-index-${root.digest}`,
          labels: { ...sourceLabel, ...childLabels(rootDocument as ImageIndex, [manifestDescriptor]) },
        }),
      );
    }
    const configWritten = configReady.then(({ bytes, config }) => {
      const topChain = chainIds(config.diffIds).at(-1);
      return writeDocument({
        blob: manifest.config,
        bytes,
        ref: `cri-ts-config-${manifest.config.digest}`,
        labels: { ...sourceLabel, ...(topChain ? { [GcLabel.snapshotRef(snapshotter)]: topChain } : {}) },
      });
    });
    const unpacked = configReady.then(({ config }) =>
      unpackLayers(this.containerd, { snapshotter, layers: manifest.layers, diffIds: config.diffIds, lease, log, layerReady }),
    );
    const stopOnFailure = <T>(step: Promise<T>): Promise<T> => step.catch((err: unknown) => (stopDownloads.abort(), Promise.reject(err)));
    // The first failure in this order is thrown: a config or unpack failure before the aborted downloads it caused.
    const [{ config }, unpackedLayers] = await allStepsSettled([
      configReady,
      stopOnFailure(unpacked),
      stopOnFailure(configWritten),
      ...documents.map(stopOnFailure),
      layersWritten,
    ]);

    const imageId = manifest.config.digest;
    const target: RootDescriptor = { digest: root.digest, mediaType: rootDocument.mediaType, size: rootBytes.length };
    const labels: Record<string, string> = { [ImageLabel.managed]: ImageLabel.managedValue };
    if (this.isSandboxImage(ref)) labels[ImageLabel.pinned] = ImageLabel.pinnedValue;
    const names = [tagReference(ref), digestReference(ref, root.digest), imageId].filter((n): n is string => n !== undefined);
    // The layers' diff ID labels are written while the records are.
    this.records.writing(names);
    try {
      await allStepsSettled([unpackedLayers.labelled, ...names.map((recordName) => upsertImageRecord(this.containerd, recordName, target, labels))]);
    } catch (err) {
      this.records.notWritten(names);
      throw err;
    }
    const size = target.size + (rootDocument.kind === 'index' ? manifestDescriptor.size : 0) + manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0);
    return { imageId, names, labels, target, resolved: { configDigest: imageId, size, config } };
  }

  /** The image config, checked against the manifest's layers. */
  private async fetchConfig(client: RegistryClient, manifest: ImageManifest, name: string, storedFirst: boolean): Promise<{ bytes: Buffer; config: ImageConfig }> {
    const { digest } = manifest.config;
    const bytes = await this.storedOrFetched(storedFirst, digest, MAX_CONFIG_BYTES, () => client.fetchSmallBlob(digest, MAX_CONFIG_BYTES));
    const config = parseImageConfig(bytes, `image ${name}: config ${manifest.config.digest}`);
    if (config.diffIds.length !== manifest.layers.length) {
      throw new CriError('FailedPrecondition', `image ${name}: its config lists ${config.diffIds.length} layers but its manifest ${manifest.layers.length}`);
    }
    return { bytes, config };
  }

  /**
   * containerd lets one writer hold an ingest ref at a time; another pull
   * sharing a layer waits for it, then finds the blob present.
   */
  private async writeBlobWaitingForLock(
    client: RegistryClient,
    blob: Descriptor,
    /** A stream of the blob, or its bytes when they are in memory already (written in one exchange). */
    source: BlobSource | Buffer,
    options: {
      ref: string;
      labels: Record<string, string>;
      lease: string;
      signal?: AbortSignal;
      onProgress?: (done: number, total: number) => void;
      /** Counts the bytes of the blobs this pull wrote (for /metrics). */
      written: { bytes: number };
      /** Open the download while containerd answers whether the blob is stored (unless false). */
      openEarly?: boolean;
    },
  ): Promise<'written' | 'already-present'> {
    const { written, openEarly = true, ...writeOptions } = options;
    for (let attempt = 1; ; attempt++) {
      try {
        const target = { ...writeOptions, digest: blob.digest, size: blob.size, openWithStat: openEarly && attempt === 1 };
        const outcome = Buffer.isBuffer(source) ? await writeBlobAtOnce(this.containerd, source, target) : await writeBlob(this.containerd, source, target);
        if (outcome === 'written') written.bytes += blob.size;
        return outcome;
      } catch (err) {
        const locked = isCriError(err, 'Unavailable') && /locked/i.test(err.message);
        if (locked && !options.signal?.aborted) {
          await new Promise((r) => setTimeout(r, LOCKED_RETRY_MS));
          continue;
        }
        // Unless another pull holds it, the ingest is this pull's: drop its partial bytes.
        if (!locked) await abortIngest(this.containerd, options.ref).catch(() => undefined);
        if (isCriError(err, 'FailedPrecondition')) {
          throw new CriError('FailedPrecondition', `${client.host}: ${err.message}`, { cause: err });
        }
        throw err;
      }
    }
  }

  /** The sandbox image is pinned: kubelet's image GC must never remove it. */
  private isSandboxImage(ref: ImageReference): boolean {
    try {
      return formatImageReference(ref) === formatImageReference(parseImageReference(this.config.sandboxImage));
    } catch {
      return false;
    }
  }
}
