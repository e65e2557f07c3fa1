import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import { CriError } from '../../../src/errors.js';
import { ImageCatalog } from '../../../src/image/image-catalog.js';
import { parseImageConfig } from '../../../src/image/image-config.js';
import type { IndexedRecord } from '../../../src/image/image-view.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

interface Record {
  name: string;
  labels: { [key: string]: string };
  target: { digest: string; mediaType: string; size: string };
}

interface FakeImage {
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  /** Manifest, config and layer bytes, as CRI reports size. */
  size: number;
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The image record and content services of a containerd, in memory, counting round trips. */
class FakeContainerd {
  readonly records = new Map<string, Record>();
  readonly blobs = new Map<string, Buffer>();
  readonly calls = { list: 0, get: 0, getsAtOnce: 0 };
  private getsInFlight = 0;
  /** How long Get takes to answer; it reads the records when called, as a real round trip would. */
  getDelayMs = 0;

  blob(value: unknown): { digest: string; size: number } {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return { digest, size: bytes.length };
  }

  /** Content for an image with one layer of `layerSize` bytes (the layer itself is never read). */
  image(seed: string, layerSize = 100): FakeImage {
    const config = this.blob({ architecture: 'amd64', os: 'linux', config: { User: seed }, rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } });
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'1'.repeat(64)}`, size: layerSize };
    const manifest = this.blob({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [layer] });
    return { manifestDigest: manifest.digest, manifestSize: manifest.size, configDigest: config.digest, size: manifest.size + config.size + layerSize };
  }

  tag(name: string, image: FakeImage, labels: { [key: string]: string } = {}): void {
    this.records.set(name, { name, labels, target: { digest: image.manifestDigest, mediaType: MANIFEST, size: String(image.manifestSize) } });
  }

  client(): ContainerdClient {
    const images = {
      List: async () => {
        this.calls.list++;
        return { images: [...this.records.values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => structuredClone(r)) };
      },
      Get: async ({ name }: { name: string }) => {
        this.calls.get++;
        this.calls.getsAtOnce = Math.max(this.calls.getsAtOnce, ++this.getsInFlight);
        const record = this.records.get(name);
        const answer = record ? structuredClone(record) : undefined;
        if (this.getDelayMs) await new Promise((r) => setTimeout(r, this.getDelayMs));
        this.getsInFlight--;
        if (!answer) throw new CriError('NotFound', `containerd Get: image "${name}": not found`);
        return { image: answer };
      },
      Delete: async ({ name }: { name: string }) => {
        if (!this.records.delete(name)) throw new CriError('NotFound', `containerd Delete: image "${name}": not found`);
        return {};
      },
    };
    const blobs = this.blobs;
    async function* readContent({ digest }: { digest: string }): AsyncGenerator<{ data: Buffer }> {
      const bytes = blobs.get(digest);
      if (!bytes) throw new CriError('NotFound', `containerd Read: content digest ${digest}: not found`);
      yield { data: bytes };
    }
    const temporaryLeases = { releasesSettled: async () => undefined };
    return { namespace: 'k8s.io', images, readContent, temporaryLeases } as unknown as ContainerdClient;
  }
}

const log = pino({ level: 'silent' });

describe('the image catalog as an index of containerd image records', () => {
  let containerd: FakeContainerd;
  let catalog: ImageCatalog;
  let changes: number;
  let app: FakeImage;

  beforeEach(() => {
    containerd = new FakeContainerd();
    changes = 0;
    catalog = new ImageCatalog(containerd.client(), 'registry.test/pause:3.9', log, () => changes++);
    app = containerd.image('app');
    containerd.tag('registry.test/app:v1', app);
    containerd.tag(`registry.test/app@${app.manifestDigest}`, app);
    containerd.tag(app.configDigest, app);
  });

  it('groups the tag, digest and ID records of one config into one image, from one listing', async () => {
    catalog.eventsFollowed();
    const images = await catalog.list();
    assert.equal(images.length, 1);
    assert.deepEqual(images[0], {
      id: app.configDigest,
      repoTags: ['registry.test/app:v1'],
      repoDigests: [`registry.test/app@${app.manifestDigest}`],
      size: app.size,
      config: images[0]!.config,
      recordNames: [`registry.test/app@${app.manifestDigest}`, 'registry.test/app:v1', app.configDigest].sort(),
      target: { digest: app.manifestDigest, mediaType: MANIFEST, size: app.manifestSize },
      pinned: false,
    });
    assert.equal(images[0]!.config.user, 'app');
    await catalog.list();
    await catalog.find('registry.test/app:v1');
    assert.equal(containerd.calls.list, 1, 'later reads are answered from memory');
  });

  it('lists two tags of one image together, sorted, and another config as another image; pins the sandbox image and pinned records', async () => {
    containerd.tag('registry.test/app:a-first', app);
    const pause = containerd.image('pause');
    containerd.tag('registry.test/pause:3.9', pause);
    const other = containerd.image('other');
    containerd.tag('registry.test/other:1', other, { 'io.cri-containerd.pinned': 'pinned' });
    catalog.eventsFollowed();
    const images = await catalog.list();
    const byId = new Map(images.map((i) => [i.id, i]));
    assert.equal(images.length, 3);
    assert.deepEqual(byId.get(app.configDigest)?.repoTags, ['registry.test/app:a-first', 'registry.test/app:v1']);
    assert.deepEqual(byId.get(app.configDigest)?.repoDigests, [`registry.test/app@${app.manifestDigest}`]);
    assert.equal(byId.get(app.configDigest)?.pinned, false);
    assert.equal(byId.get(pause.configDigest)?.pinned, true, 'the sandbox image');
    assert.equal(byId.get(other.configDigest)?.pinned, true, 'labelled pinned');
  });

  it('skips a record whose content is missing, and keeps the rest', async () => {
    const gone = containerd.image('gone');
    containerd.blobs.delete(gone.configDigest);
    containerd.tag('registry.test/gone:1', gone);
    containerd.records.set('registry.test/nothing:1', { name: 'registry.test/nothing:1', labels: {}, target: { digest: `sha256:${'9'.repeat(64)}`, mediaType: MANIFEST, size: '10' } });
    catalog.eventsFollowed();
    const images = await catalog.list();
    assert.deepEqual(images.map((i) => i.id), [app.configDigest]);
    assert.equal(await catalog.find('registry.test/gone:1'), undefined);
  });

  it('applies create, update and delete events by reading just that record (reads do not wait for them)', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    const other = containerd.image('other');
    containerd.tag('registry.test/other:1', other);
    catalog.recordChanged('registry.test/other:1');
    await catalog.settled();
    assert.equal((await catalog.find('registry.test/other:1'))?.id, other.configDigest, 'created');

    containerd.tag('registry.test/app:v1', other);
    catalog.recordChanged('registry.test/app:v1');
    await catalog.settled();
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, other.configDigest, 'updated: the tag moved');
    assert.deepEqual((await catalog.find(app.configDigest))?.repoTags, [], 'the old image keeps its digest and ID records');

    containerd.records.delete('registry.test/other:1');
    catalog.recordDeleted('registry.test/other:1');
    await catalog.settled();
    assert.deepEqual((await catalog.find(other.configDigest))?.repoTags, ['registry.test/app:v1'], 'deleted');
    assert.equal(containerd.calls.list, 1, 'no event lists everything again');
    assert.equal(containerd.calls.get, 2);
    assert.ok(changes >= 3, 'the image filesystem meter is told');
  });

  it('a read answers from the index while a record is read again for an event', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    containerd.getDelayMs = 1500;
    catalog.recordChanged('registry.test/app:v1');
    const started = Date.now();
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, app.configDigest);
    assert.ok(Date.now() - started < 1000, 'the read did not wait for the event\'s Get');
    containerd.getDelayMs = 0;
  });

  it('a delete event that arrives while that record is being read again still wins', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    containerd.getDelayMs = 30;
    catalog.recordChanged('registry.test/app:v1');
    await new Promise((r) => setImmediate(r));
    containerd.records.delete('registry.test/app:v1');
    catalog.recordDeleted('registry.test/app:v1');
    await catalog.settled();
    assert.equal(await catalog.find('registry.test/app:v1'), undefined);
  });

  it('a record deleted and made again while earlier reads are queued ends up present', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    containerd.getDelayMs = 20;
    catalog.recordChanged(app.configDigest);
    await new Promise((r) => setImmediate(r));
    // queued behind the running read: changed, deleted, made again
    catalog.recordChanged('registry.test/app:v1');
    containerd.records.delete('registry.test/app:v1');
    catalog.recordDeleted('registry.test/app:v1');
    containerd.tag('registry.test/app:v1', app);
    catalog.recordChanged('registry.test/app:v1');
    await catalog.settled();
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, app.configDigest);
  });

  /** The records a pull of `repository`:tag writes for `image`: its tag, its digest and its ID. */
  function pullNames(repository: string, tag: string, image: FakeImage): string[] {
    return [`registry.test/${repository}:${tag}`, `registry.test/${repository}@${image.manifestDigest}`, image.configDigest];
  }

  /** What the puller tells the catalog it wrote for `image` under `names`. */
  function written(image: FakeImage, names: readonly string[]): IndexedRecord[] {
    const config = parseImageConfig(containerd.blobs.get(image.configDigest)!, image.configDigest);
    return names.map((name) => ({
      name,
      labels: {},
      target: { digest: image.manifestDigest, mediaType: MANIFEST, size: image.manifestSize },
      resolved: { configDigest: image.configDigest, size: image.size, config },
    }));
  }

  it("does not read back the records of cri-ts's own pull when their events come, and reads the next change of them", async () => {
    catalog.eventsFollowed();
    await catalog.list();
    const pulled = containerd.image('own');
    const names = pullNames('own', '1', pulled);
    catalog.expectOwnWrites(names);
    for (const name of names) containerd.tag(name, pulled);
    // One event arrives before the pull has told the catalog what it wrote, the others after.
    catalog.recordChanged(names[0]!);
    catalog.recordsWritten(written(pulled, names));
    for (const name of names.slice(1)) catalog.recordChanged(name);
    await catalog.settled();
    assert.equal(containerd.calls.get, 0, "the pull's own events are not read back");
    assert.equal((await catalog.find('registry.test/own:1'))?.id, pulled.configDigest);

    // The next change of the same record is someone else's: read.
    const other = containerd.image('other');
    containerd.tag('registry.test/own:1', other);
    catalog.recordChanged('registry.test/own:1');
    await catalog.settled();
    assert.equal(containerd.calls.get, 1);
    assert.equal((await catalog.find('registry.test/own:1'))?.id, other.configDigest, 'the tag moved');
  });

  it('reads back every record of a pull whose record writes failed, and then every event of them', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    const pulled = containerd.image('half');
    const names = pullNames('half', '1', pulled);
    catalog.expectOwnWrites(names);
    // Two of three writes went in, the third failed.
    containerd.tag(names[0]!, pulled);
    containerd.tag(names[1]!, pulled);
    catalog.ownWritesFailed(names);
    assert.equal((await catalog.find('registry.test/half:1'))?.id, pulled.configDigest, 'what was written is in the index');
    assert.equal(containerd.calls.get, 3);
    catalog.recordChanged(names[0]!);
    catalog.recordChanged(names[1]!);
    await catalog.settled();
    assert.equal(containerd.calls.get, 5, 'their events are read as anyone else\'s');
  });

  it('a removal takes the names it deleted out of the index while the collecting delete of the last one runs', async () => {
    const pulled = containerd.image('removing');
    const names = pullNames('removing', '1', pulled);
    for (const name of names) containerd.tag(name, pulled);
    const client = containerd.client();
    let collect: (() => void) | undefined;
    const collecting = new Promise<void>((resolve) => (collect = resolve));
    let collectionStarted = false;
    const slowCollection = {
      ...client,
      images: {
        ...client.images,
        Delete: async (request: { name: string; sync?: boolean }) => {
          if (request.sync) {
            collectionStarted = true;
            await collecting;
          }
          return client.images.Delete(request);
        },
      },
    } as unknown as ContainerdClient;
    const removing = new ImageCatalog(slowCollection, 'registry.test/pause:3.9', log);
    removing.eventsFollowed();
    removing.recordsWritten(written(pulled, names));
    assert.equal((await removing.find('registry.test/removing:1'))?.id, pulled.configDigest);
    const removal = removing.removeRecords(names);
    for (let i = 0; i < 50 && !collectionStarted; i++) await new Promise((r) => setImmediate(r));
    assert.ok(collectionStarted);
    assert.equal(await removing.find('registry.test/removing:1'), undefined, 'the tag is gone while the collection runs');
    assert.equal((await removing.find(pulled.configDigest))?.id, pulled.configDigest, 'the image is there by ID until its last record goes');
    collect!();
    await removal;
    assert.equal(await removing.find(pulled.configDigest), undefined);
  });

  it('sees cri-ts\'s own pull at the very next read without reading the records back, and its removal', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    const pulled = containerd.image('pulled');
    const names = pullNames('pulled', '1', pulled);
    for (const name of names) containerd.tag(name, pulled);
    const before = changes;
    containerd.getDelayMs = 5;
    catalog.recordsWritten(written(pulled, names));
    assert.ok(changes > before, 'the image filesystem meter is told at once');
    const image = await catalog.find('registry.test/pulled:1');
    assert.equal(image?.id, pulled.configDigest);
    assert.deepEqual(image.recordNames, [...names].sort());
    assert.equal(containerd.calls.get, 0, 'what cri-ts wrote is not read back');

    await catalog.removeRecords(names);
    assert.equal(containerd.records.has('registry.test/pulled:1'), false);
    assert.equal(await catalog.find(pulled.configDigest), undefined);
    assert.equal(containerd.calls.list, 1);
  });

  it('a record read for an event before cri-ts wrote it again does not put the older copy back', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    const newer = containerd.image('newer');
    containerd.getDelayMs = 30;
    catalog.recordChanged('registry.test/app:v1'); // reads the record as it is now: still `app`
    await new Promise((r) => setTimeout(r, 5));
    containerd.tag('registry.test/app:v1', newer);
    catalog.recordsWritten(written(newer, ['registry.test/app:v1']));
    await catalog.settled();
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, newer.configDigest);
  });

  it('an image removed and pulled again at once is there at the next read (the removal\'s queued drop is older news)', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    containerd.getDelayMs = 30;
    catalog.recordChanged(app.configDigest); // keeps the queue busy, so the removal's drop waits behind it
    await new Promise((r) => setImmediate(r));
    const names = pullNames('app', 'v1', app);
    await catalog.removeRecords(names);
    for (const name of names) containerd.tag(name, app);
    catalog.recordsWritten(written(app, names));
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, app.configDigest);
    await catalog.settled();
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, app.configDigest);
  });

  it('lists afresh on every read while events are not followed, and once after subscribing again', async () => {
    await catalog.list();
    await catalog.list();
    assert.equal(containerd.calls.list, 2, 'no subscription yet: nothing can keep a listing current');
    catalog.eventsFollowed();
    await catalog.list();
    assert.equal(containerd.calls.list, 3, 'subscribing lists once');
    await catalog.list();
    assert.equal(containerd.calls.list, 3);

    catalog.eventsLost();
    containerd.tag('registry.test/while-away:1', app);
    catalog.eventsFollowed();
    assert.ok((await catalog.find('registry.test/while-away:1'))?.repoTags.includes('registry.test/while-away:1'), 'the listing after subscribing again catches what the events missed');
    assert.equal(containerd.calls.list, 4);
    catalog.eventsLost();
    await catalog.list();
    assert.equal(containerd.calls.list, 5, 'with the subscription lost, reads list afresh');
  });

  it('lists everything again at the next read when reading one record failed', async () => {
    catalog.eventsFollowed();
    await catalog.list();
    const client = containerd.client();
    const broken = new ImageCatalog(
      { ...client, images: { ...client.images, Get: async () => Promise.reject(new CriError('Unavailable', 'containerd is restarting')) } } as unknown as ContainerdClient,
      'registry.test/pause:3.9',
      log,
    );
    broken.eventsFollowed();
    await broken.list();
    const lists = containerd.calls.list;
    containerd.records.delete('registry.test/app:v1');
    broken.recordChanged('registry.test/app:v1');
    await broken.settled();
    assert.equal(await broken.find('registry.test/app:v1'), undefined);
    assert.equal(containerd.calls.list, lists + 1);
  });

  it('resolves an index to the host platform manifest', async () => {
    const platform = { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch };
    const foreign = containerd.image('foreign');
    const index = containerd.blob({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [
        { mediaType: MANIFEST, digest: foreign.manifestDigest, size: foreign.manifestSize, platform: { os: 'linux', architecture: 'riscv64' } },
        { mediaType: MANIFEST, digest: app.manifestDigest, size: app.manifestSize, platform },
      ],
    });
    containerd.records.set('registry.test/multi:1', { name: 'registry.test/multi:1', labels: {}, target: { digest: index.digest, mediaType: INDEX, size: String(index.size) } });
    catalog.eventsFollowed();
    const image = await catalog.find('registry.test/multi:1');
    assert.equal(image?.id, app.configDigest);
    assert.ok(image.repoDigests.includes(`registry.test/multi@${index.digest}`));
  });

  it('finds by ID with or without sha256:, by unique ID prefix, by name:tag and name@digest; an ambiguous prefix is refused', async () => {
    // Two configs whose IDs start alike, for the ambiguous prefix.
    let twin: FakeImage | undefined;
    for (let i = 0; !twin; i++) {
      const candidate = containerd.image(`twin-${i}`);
      if (candidate.configDigest[7] === app.configDigest[7]) twin = candidate;
    }
    containerd.tag('registry.test/twin:1', twin);
    catalog.eventsFollowed();
    const hex = app.configDigest.slice('sha256:'.length);
    assert.equal((await catalog.find(app.configDigest))?.id, app.configDigest);
    assert.equal((await catalog.find(hex))?.id, app.configDigest);
    const unique = hex.slice(0, [...hex].findIndex((c, i) => c !== twin.configDigest[7 + i]) + 1);
    assert.equal((await catalog.find(unique))?.id, app.configDigest);
    assert.equal((await catalog.find(`sha256:${unique}`))?.id, app.configDigest);
    await assert.rejects(catalog.find(hex.slice(0, 1)), (err: unknown) => err instanceof CriError && err.kind === 'InvalidArgument' && /ambiguous/.test(err.message));
    assert.equal((await catalog.find('registry.test/app:v1'))?.id, app.configDigest);
    assert.equal((await catalog.find(`registry.test/app@${app.manifestDigest}`))?.id, app.configDigest);
    assert.equal((await catalog.find('registry.test/app:v2')), undefined);
    assert.equal((await catalog.find('registry.test/twin:1'))?.id, twin.configDigest);
  });
});
