import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { criClient } from '../../harness/cri-client.js';
import { type PushedImage, pushTestImage } from '../../harness/image-push.js';
import { startTestRegistry, type TestRegistry } from '../../harness/registry.js';
import { startStack, type TestStack } from '../../harness/stack.js';

/** Polls `check` every 20 ms for up to `withinMs`; returns how long it took, or fails. */
async function within(withinMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > withinMs) assert.fail(`${what} within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How often cri-ts listed all image records: each read from memory adds nothing. */
async function listingsSoFar(stack: TestStack): Promise<number> {
  return (await stack.criTs.log()).split('\n').filter((l) => l.includes('"msg":"image records listed"')).length;
}

describe('the image index follows containerd', () => {
  let stack: TestStack;
  let registry: TestRegistry;
  let cri: ReturnType<typeof criClient>;
  let first: PushedImage;
  let second: PushedImage;

  before(async () => {
    registry = await startTestRegistry(`/tmp/cri-ts-registries-${process.pid}/index`);
    first = await pushTestImage(registry.url, 'index/first', 'v1');
    second = await pushTestImage(registry.url, 'index/second', 'v1', { layers: 2 });
    stack = await startStack('image-index');
    cri = criClient(stack.criTs.socket);
  });

  after(async () => {
    cri?.close();
    await stack?.stop();
    await registry?.stop();
  });

  async function listedTags(): Promise<string[]> {
    const { images } = await cri.images.ListImages({});
    return images.flatMap((i) => i.repoTags);
  }

  it('a PullImage followed at once by ImageStatus finds the image, by tag and by the ID it returned', async () => {
    await cri.images.ListImages({});
    for (const image of [first, second]) {
      const { imageRef } = await cri.images.PullImage({ image: { image: image.reference } });
      assert.equal(imageRef, image.configDigest);
      const [byTag, byId] = await Promise.all([
        cri.images.ImageStatus({ image: { image: image.reference } }),
        cri.images.ImageStatus({ image: { image: imageRef } }),
      ]);
      assert.equal(byTag.image?.id, image.configDigest, `${image.reference} by tag`);
      assert.deepEqual(byId.image?.repoTags, [image.reference]);
    }
  });

  it('an image tagged and untagged with the containerd client (as ctr does) shows up and goes within a second, without listing again', async () => {
    const { image: record } = await stack.client.images.Get({ name: first.reference });
    assert.ok(record?.target);
    await within(2000, 'the image event subscription is up', async () => (await stack.criTs.log()).includes('"msg":"image records listed"'));
    const listings = await listingsSoFar(stack);
    const tag = `${registry.host}/index/retagged:ctr`;
    await stack.client.images.Create({ image: { name: tag, labels: {}, target: record.target } });
    const shownMs = await within(1000, `${tag} in ListImages`, async () => (await listedTags()).includes(tag));
    const status = await cri.images.ImageStatus({ image: { image: tag } });
    assert.equal(status.image?.id, first.configDigest);
    assert.deepEqual([...(status.image?.repoTags ?? [])].sort(), [first.reference, tag].sort());

    await stack.client.images.Delete({ name: tag, sync: false });
    const goneMs = await within(1000, `${tag} gone from ListImages`, async () => !(await listedTags()).includes(tag));
    assert.deepEqual((await cri.images.ImageStatus({ image: { image: first.reference } })).image?.repoTags, [first.reference], 'the other tag stays');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await listingsSoFar(stack), listings, `answered from the index (shown after ${shownMs} ms, gone after ${goneMs} ms)`);
  });

  it('an image whose every record is deleted with the containerd client is gone from ImageStatus by ID', async () => {
    const { images: records } = await stack.client.images.List({ filters: [] });
    const names = records.filter((r) => r.target?.digest === second.manifestDigest).map((r) => r.name);
    assert.equal(names.length, 3, 'tag, digest and ID records');
    for (const name of names) await stack.client.images.Delete({ name, sync: false });
    await within(1000, `${second.configDigest} gone`, async () => (await cri.images.ImageStatus({ image: { image: second.configDigest } })).image === null);
  });

  it('follows containerd again after it restarts: what changed while it was away, and what changes afterwards', async () => {
    const { image: record } = await stack.client.images.Get({ name: first.reference });
    assert.ok(record?.target);
    await stack.containerd.stop();
    await stack.containerd.start();
    // Made before cri-ts subscribed again: only the listing after resubscribing can find it.
    const early = `${registry.host}/index/early:1`;
    await stack.client.images.Create({ image: { name: early, labels: {}, target: record.target } });
    await within(5000, `${early} in ListImages`, async () => (await listedTags().catch((): string[] => [])).includes(early));
    // Once subscribed again, reads come from the index: a ListImages adds no listing to the log (written asynchronously, hence the pause).
    await within(5000, 'the image event subscription is back', async () => {
      const listings = await listingsSoFar(stack);
      await listedTags();
      await new Promise((r) => setTimeout(r, 100));
      return (await listingsSoFar(stack)) === listings;
    });
    const late = `${registry.host}/index/late:1`;
    await stack.client.images.Create({ image: { name: late, labels: {}, target: record.target } });
    await within(1000, `${late} in ListImages`, async () => (await listedTags()).includes(late));
  });
});

