import type { ContainerdClient } from '../containerd/client.js';
import { isCriError } from '../errors.js';
import type { Logger } from '../log.js';
import { deleteImageRecord } from './image-records.js';
import { ImageTargetResolver } from './image-target.js';
import { buildImageView, type CatalogImage, findImage, type ImageView, type IndexedRecord, normalisedImageName } from './image-view.js';
import type { RootDescriptor } from './pull/registry-source.js';

export type { CatalogImage } from './image-view.js';

/** An image record as containerd's Images service returns it. */
interface ContainerdImageRecord {
  name: string;
  labels: Record<string, string>;
  target: { digest: string; mediaType: string; size: string | number | { toString(): string } } | null;
}

/**
 * The CRI view of containerd's image records, answered from memory as
 * containerd's CRI image store does. It is loaded from one listing when
 * first needed, kept current by containerd's image events (recordChanged,
 * recordDeleted) and by cri-ts's own pulls and removals, and listed again
 * whenever events may have been missed. While no event subscription is up,
 * every read lists afresh, so a broken subscription never serves stale images.
 *
 * Every change to the index runs through one queue, so changes apply in the
 * order they were announced (records to read again are read together). A
 * read waits for cri-ts's own changes and full listings queued before it, so
 * cri-ts's own pull is seen by the very next call; it does not wait for
 * records read again because of containerd's events (as containerd's CRI
 * applies its own pulls at once and events as they come), which would hold
 * every ImageStatus after a pull behind a round trip for the pull's own events.
 */
export class ImageCatalog {
  private readonly targets: ImageTargetResolver;
  private readonly records = new Map<string, IndexedRecord>();
  /** Built from `records` on the first read after a change. */
  private view: ImageView | undefined;
  private readonly sandboxImageName: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** The last queued change a read must see (cri-ts's own, or a full listing); settles, never rejects. */
  private readBarrier: Promise<void> = Promise.resolve();
  /** A reload queued but not started: asking again joins it. */
  private queuedReload: Promise<void> | undefined;
  /** Records to read again, last in the queue and not started: a name asked for now joins them. */
  private openRefresh: { names: Set<string>; run: Promise<void> } | undefined;
  /** The index holds a complete listing, and no change since was lost. */
  private loaded = false;
  /** containerd's image events reach the index (between eventsFollowed and eventsLost). */
  private following = false;
  /** Someone has read the catalog: until then there is nothing to keep current. */
  private wanted = false;
  /**
   * For each record name cri-ts wrote itself, the count of own writes when it
   * did. A read or drop of that name begun before then carries older news,
   * and leaves the index's entry alone. Cleared whenever the queue is idle.
   */
  private readonly ownWrites = new Map<string, number>();
  private ownWriteCount = 0;
  /**
   * Create and update events still to come for records cri-ts is writing
   * itself, by name: recordsWritten puts those records in as written, so
   * their events need not be read back. One event per write; cleared when
   * events are lost (a new subscription lists everything anyway).
   */
  private readonly ownEvents = new Map<string, number>();

  constructor(
    private readonly containerd: ContainerdClient,
    sandboxImage: string,
    private readonly log: Logger,
    /** Told when images came or went (the image filesystem usage changed too). */
    private readonly onChanged: () => void = () => undefined,
  ) {
    this.targets = new ImageTargetResolver(containerd);
    this.sandboxImageName = normalisedImageName(sandboxImage);
  }

  async list(): Promise<readonly CatalogImage[]> {
    return (await this.currentView()).images;
  }

  /**
   * Finds an image by ID (full, without "sha256:", or a unique hex prefix),
   * by name:tag, or by name@digest. Undefined when there is none.
   */
  async find(text: string): Promise<CatalogImage | undefined> {
    return findImage(await this.currentView(), text);
  }

  /** The target of the record named `name` (name:tag or name@digest), as the index holds it. */
  async recordedTarget(name: string): Promise<RootDescriptor | undefined> {
    await this.currentView();
    return this.records.get(name)?.target;
  }

  /**
   * cri-ts itself wrote these image records (a pull), exactly as given: they
   * enter the index at once, without reading them back, so the very next read
   * sees them (as containerd's CRI puts its own pulls into its store). A read
   * of the same names that began before this write cannot put an older copy
   * back (see ownWrites).
   */
  recordsWritten(records: readonly IndexedRecord[]): void {
    for (const record of records) this.targets.remember(record.target.digest, record.resolved);
    this.onChanged();
    if (!this.wanted) return;
    for (const record of records) {
      this.ownWrites.set(record.name, ++this.ownWriteCount);
      this.put(record);
    }
  }

  /**
   * Deletes image records by name, all but the last at once; the last
   * deletion waits for containerd's garbage collection (as containerd's CRI
   * deletes its last reference), once no pull's lease still holds content.
   * As containerd's CRI updates its store after each reference it deletes,
   * the names deleted leave the index before the collection runs: a
   * concurrent read (another RemoveImage of the same tag, say) no longer
   * finds the image by them.
   */
  async removeRecords(names: readonly string[]): Promise<void> {
    const first = names.slice(0, -1);
    const last = names.at(-1);
    try {
      await Promise.all(first.map((name) => deleteImageRecord(this.containerd, name, false)));
      if (first.length > 0) this.dropDeleted(first);
      // A pull's lease may still hold the content; it must be gone before the collection runs.
      await this.containerd.temporaryLeases.releasesSettled();
      if (last !== undefined) {
        await deleteImageRecord(this.containerd, last, true);
        this.dropDeleted([last]);
      }
    } catch (err) {
      this.onChanged();
      void this.refresh(names, true);
      throw err;
    }
  }

  /** Records cri-ts deleted: queued, not applied at once, so a refresh already running cannot put one back. */
  private dropDeleted(names: readonly string[]): void {
    this.onChanged();
    const asOf = this.ownWriteCount;
    void this.enqueue(async () => names.filter((name) => !this.writtenSince(name, asOf)).forEach((name) => this.drop(name)), true);
  }

  /** Settles once every change queued so far (events' too) is applied. */
  async settled(): Promise<void> {
    await this.queue;
  }

  /** cri-ts is about to write these records (a pull): the event each write brings is not read back. */
  expectOwnWrites(names: readonly string[]): void {
    if (!this.following) return;
    for (const name of names) this.ownEvents.set(name, (this.ownEvents.get(name) ?? 0) + 1);
  }

  /**
   * Some of these writes failed, or may not have happened: their events may
   * not come, and the index must learn what containerd holds, so all are read back.
   */
  ownWritesFailed(names: readonly string[]): void {
    for (const name of names) this.takeExpectedEvent(name);
    if (this.wanted) void this.refresh(names, true);
  }

  /** containerd created or updated an image record (an event): read it again, unless cri-ts wrote it itself. */
  recordChanged(name: string): void {
    if (this.takeExpectedEvent(name)) return;
    if (this.wanted) void this.refresh([name], false);
  }

  /** Takes one expected own event for `name` off the count; true when there was one. */
  private takeExpectedEvent(name: string): boolean {
    const expected = this.ownEvents.get(name);
    if (!expected) return false;
    if (expected === 1) this.ownEvents.delete(name);
    else this.ownEvents.set(name, expected - 1);
    return true;
  }

  /** containerd deleted an image record (an event). */
  recordDeleted(name: string): void {
    if (this.wanted) void this.enqueue(async () => this.drop(name), false);
  }

  /** Image events are followed from now on; any sent before were missed, so list everything once. */
  eventsFollowed(): void {
    this.following = true;
    this.ownEvents.clear();
    if (!this.wanted) return;
    this.reload().catch((err: unknown) => this.log.warn({ err }, 'could not list image records after subscribing to image events'));
  }

  /** Image events are no longer followed: reads list afresh until they are again. */
  eventsLost(): void {
    this.following = false;
    this.ownEvents.clear();
  }

  private async currentView(): Promise<ImageView> {
    this.wanted = true;
    const reload = this.loaded && this.following ? undefined : this.reload();
    const settled = this.readBarrier;
    await reload;
    await settled;
    // A change queued before this read could not be applied: the index may be behind.
    if (!this.loaded) await this.reload();
    this.view ??= buildImageView(this.records.values(), this.sandboxImageName);
    return this.view;
  }

  /** `seenByReads`: reads wait for it (and so for everything queued before it). */
  private enqueue(work: () => Promise<void>, seenByReads: boolean): Promise<void> {
    // Whatever is queued now runs after the open refresh, so later names must not join it.
    this.openRefresh = undefined;
    const run = this.queue.then(work);
    const settled = run.catch(() => undefined);
    this.queue = settled;
    // Nothing queued any more: every read begins after the writes noted so far.
    void settled.then(() => {
      if (this.queue === settled) this.ownWrites.clear();
    });
    if (seenByReads) this.readBarrier = this.queue;
    return run;
  }

  private reload(): Promise<void> {
    this.queuedReload ??= this.enqueue(async () => {
      this.queuedReload = undefined;
      await this.reloadNow();
    }, true);
    return this.queuedReload;
  }

  private async reloadNow(): Promise<void> {
    try {
      const asOf = this.ownWriteCount;
      const { images } = await this.containerd.images.List({ filters: [] });
      const indexed = await Promise.all(images.map((record) => this.indexRecord(record)));
      const before = this.records.size;
      const newer = [...this.records.values()].filter((record) => this.writtenSince(record.name, asOf));
      this.records.clear();
      for (const record of indexed) if (record) this.records.set(record.name, record);
      for (const record of newer) this.records.set(record.name, record);
      this.view = undefined;
      this.loaded = true;
      this.log.debug({ records: this.records.size, before }, 'image records listed');
    } catch (err) {
      this.loaded = false;
      throw err;
    }
  }

  /**
   * Reads records again, together; never rejects (a failure makes the next
   * read list everything). `seenByReads` for cri-ts's own changes.
   */
  private refresh(names: readonly string[], seenByReads: boolean): Promise<void> {
    if (!this.openRefresh) {
      const batch = { names: new Set<string>(), run: Promise.resolve() };
      batch.run = this.enqueue(async () => {
        if (this.openRefresh === batch) this.openRefresh = undefined;
        await this.refreshNow([...batch.names]);
      }, false).catch((err: unknown) => {
        this.loaded = false;
        this.log.warn({ images: [...batch.names], err }, 'could not read image records again; the next read lists them all');
      });
      this.openRefresh = batch;
    }
    // The open batch is the last thing queued: reads waiting for it wait for these names.
    if (seenByReads) this.readBarrier = this.openRefresh.run;
    for (const name of names) this.openRefresh.names.add(name);
    return this.openRefresh.run;
  }

  /** Reads every record before applying any, so the index never holds half a batch. */
  private async refreshNow(names: readonly string[]): Promise<void> {
    const asOf = this.ownWriteCount;
    const read = await Promise.allSettled(names.map((name) => this.readRecord(name)));
    const failed = read.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [i, name] of names.entries()) {
      if (this.writtenSince(name, asOf)) continue;
      const indexed = (read[i] as PromiseFulfilledResult<IndexedRecord | undefined>).value;
      if (indexed) this.put(indexed);
      else this.drop(name);
    }
  }

  /** One record as the index keeps it; undefined when it is gone or its content is incomplete. */
  private async readRecord(name: string): Promise<IndexedRecord | undefined> {
    let record: ContainerdImageRecord | null;
    try {
      record = (await this.containerd.images.Get({ name })).image;
    } catch (err) {
      if (!isCriError(err, 'NotFound')) throw err;
      return undefined;
    }
    return record ? this.indexRecord(record) : undefined;
  }

  /** A record with what its target resolves to; undefined when its content is not all there. */
  private async indexRecord(record: ContainerdImageRecord): Promise<IndexedRecord | undefined> {
    if (!record.target) return undefined;
    const target = { digest: record.target.digest, mediaType: record.target.mediaType, size: Number(record.target.size) };
    try {
      return { name: record.name, labels: record.labels, target, resolved: await this.targets.resolve(target) };
    } catch (err) {
      this.log.debug({ image: record.name, err }, 'image record skipped: its content is incomplete');
      return undefined;
    }
  }

  /** cri-ts wrote this record itself after `asOf`. */
  private writtenSince(name: string, asOf: number): boolean {
    return (this.ownWrites.get(name) ?? 0) > asOf;
  }

  private put(record: IndexedRecord): void {
    const old = this.records.get(record.name);
    this.records.set(record.name, record);
    // Events for cri-ts's own changes repeat what the index already has: keep the view then.
    if (old && old.target.digest === record.target.digest && sameLabels(old.labels, record.labels)) return;
    this.view = undefined;
    this.onChanged();
  }

  private drop(name: string): void {
    if (!this.records.delete(name)) return;
    this.view = undefined;
    this.onChanged();
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
