import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import { chainIds } from '../../../src/image/chain-ids.js';
import { criClient } from '../../harness/cri-client.js';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { type FakeRegistry, startFakeRegistry } from '../../harness/fake-registry.js';
import { type PushedImage, pushManifest, pushTestImage, pushTestIndex } from '../../harness/image-push.js';
import { startTestRegistry, type TestRegistry } from '../../harness/registry.js';
import { startStack, type TestStack } from '../../harness/stack.js';

interface ImageJson {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: string;
  uid: { value: string } | null;
  username: string;
  pinned: boolean;
}

const AUTH = { username: 'puller', password: 'right-password' };

/** What a pull must never leave behind in containerd: its lease, an open ingest. */
async function assertNothingLeftOver(stack: TestStack): Promise<void> {
  const { leases } = await stack.client.leases.List({ filters: [] });
  assert.deepEqual(leases.map((l) => l.id).filter((id) => id.startsWith('cri-ts-pull-')), [], 'no pull lease is left');
  const { statuses } = await stack.client.content.ListStatuses({ filters: [] });
  assert.deepEqual(statuses.map((s) => s.ref), [], 'no unfinished ingest is left');
}

async function contentExists(stack: TestStack, digest: string): Promise<boolean> {
  try {
    await stack.client.content.Info({ digest });
    return true;
  } catch (err) {
    if (err instanceof CriError && err.kind === 'NotFound') return false;
    throw err;
  }
}

describe('PullImage, ListImages, ImageStatus, RemoveImage against real registries', () => {
  let stack: TestStack;
  let plain: TestRegistry;
  let withAuth: TestRegistry;
  let mirror: TestRegistry;
  let twoLayers: PushedImage;

  before(async () => {
    const base = `/tmp/cri-ts-registries-${process.pid}`;
    plain = await startTestRegistry(join(base, 'plain'));
    withAuth = await startTestRegistry(join(base, 'auth'), { htpasswd: AUTH });
    mirror = await startTestRegistry(join(base, 'mirror'));
    twoLayers = await pushTestImage(plain.url, 'app/two-layers', 'v1', { layers: 2, user: '1234:5678' });
    const hostsDir = join(base, 'hosts.d');
    await mkdir(join(hostsDir, 'hosts-only.test'), { recursive: true });
    await writeFile(join(hostsDir, 'hosts-only.test', 'hosts.toml'), `server = "${plain.url}"\n`);
    stack = await startStack('image-pull', {
      topLevelToml: 'image_pull_progress_timeout = "2s"\nsandbox_image = "mirror-only.test/pause:1"',
      extraToml: [
        '[registry]',
        `config_path = ${JSON.stringify(hostsDir)}`,
        '[registry.mirrors."mirror-only.test"]',
        `endpoint = [${JSON.stringify(mirror.url)}]`,
        // A registry on a closed loopback port: only its mirror answers.
        '[registry.mirrors."127.0.0.1:9"]',
        `endpoint = [${JSON.stringify(mirror.url)}]`,
      ].join('\n'),
    });
  });

  after(async () => {
    await stack?.stop();
    await Promise.all([plain?.stop(), withAuth?.stop(), mirror?.stop()]);
  });

  it('pulls a two-layer image by tag and shows it in crictl images and inspecti', async () => {
    const pull = await crictl(stack.criTs.socket, ['pull', twoLayers.reference]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(twoLayers.configDigest));
    const { images } = await crictlJson<{ images: ImageJson[] }>(stack.criTs.socket, ['images']);
    const image = images.find((i) => i.id === twoLayers.configDigest);
    assert.ok(image, 'listed by its config digest');
    assert.deepEqual(image.repoTags, [twoLayers.reference]);
    assert.deepEqual(image.repoDigests, [`${plain.host}/app/two-layers@${twoLayers.manifestDigest}`]);
    assert.equal(Number(image.size), twoLayers.totalSize);
    assert.equal(image.uid?.value, '1234');
    // crictl unpacks the verbose info's JSON into "info"
    const status = await crictlJson<{ status: ImageJson; info: { chainID: string; imageSpec: { rootfs: { diff_ids: string[] } } } }>(
      stack.criTs.socket,
      ['inspecti', twoLayers.reference],
    );
    assert.equal(status.status.id, twoLayers.configDigest);
    assert.deepEqual(status.info.imageSpec.rootfs.diff_ids, twoLayers.diffIds);
    // containerd holds what `ctr -n k8s.io images ls` shows: tag, digest and ID records, CRI's label on each
    const { images: records } = await stack.client.images.List({ filters: [] });
    const names = records.filter((r) => r.target?.digest === twoLayers.manifestDigest).map((r) => r.name).sort();
    assert.deepEqual(names, [`${plain.host}/app/two-layers@${twoLayers.manifestDigest}`, twoLayers.reference, twoLayers.configDigest].sort());
    for (const r of records) assert.equal(r.labels['io.cri-containerd.image'], 'managed');
    // the layers are unpacked: the top chain is a committed snapshot the config keeps alive
    await stack.client.snapshots.Stat({ snapshotter: 'overlayfs', key: status.info.chainID });
    const { info } = await stack.client.content.Info({ digest: twoLayers.configDigest });
    assert.equal(info?.labels['containerd.io/gc.ref.snapshot.overlayfs'], status.info.chainID);
    await assertNothingLeftOver(stack);
    const log = await stack.criTs.log();
    assert.match(log, /"layer":"sha256:[a-f0-9]{64}","done":\d+,"total":\d+.*"msg":"layer downloaded"/);
    const fsInfo = await crictlJson<{ status: { imageFilesystems: Array<{ usedBytes: { value: string } }> } }>(stack.criTs.socket, ['imagefsinfo']);
    assert.ok(Number(fsInfo.status.imageFilesystems[0]?.usedBytes.value) > 0, 'the unpacked layers count in imagefsinfo');
  });

  it('picks the host platform from a multi-platform index', async () => {
    const amd64 = await pushTestImage(plain.url, 'app/multi', 'amd64-only', { mediaTypes: 'oci', platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = await pushTestImage(plain.url, 'app/multi', 'arm64-only', { mediaTypes: 'oci', platform: { os: 'linux', architecture: 'arm64' } });
    const index = await pushTestIndex(plain.url, 'app/multi', 'v1', [
      { image: arm64, platform: { os: 'linux', architecture: 'arm64' } },
      { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    const pull = await crictl(stack.criTs.socket, ['pull', index.reference]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(amd64.configDigest));
    const status = await crictlJson<{ status: ImageJson }>(stack.criTs.socket, ['inspecti', index.reference]);
    assert.deepEqual(status.status.repoDigests, [`${plain.host}/app/multi@${index.indexDigest}`]);
  });

  it('two pulls of one image at the same time download it once', async () => {
    const image = await pushTestImage(plain.url, 'app/concurrent', 'v1', { layers: 3 });
    const [a, b] = await Promise.all([crictl(stack.criTs.socket, ['pull', image.reference]), crictl(stack.criTs.socket, ['pull', image.reference])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const log = await stack.criTs.log();
    const starts = log.split('\n').filter((l) => l.includes(`"image":"${image.reference}"`) && l.includes('"msg":"pulling image"'));
    assert.equal(starts.length, 1, 'one pull ran; the other joined it');
    await assertNothingLeftOver(stack);
  });

  it('pulls through a mirror from the config, and through a hosts.toml server', async () => {
    const onMirror = await pushTestImage(mirror.url, 'pause', '1');
    const viaMirror = await crictl(stack.criTs.socket, ['pull', 'mirror-only.test/pause:1']);
    assert.equal(viaMirror.code, 0, viaMirror.stderr);
    assert.match(viaMirror.stdout, new RegExp(onMirror.configDigest));
    // it is the sandbox image here, so it is pinned
    const status = await crictlJson<{ status: ImageJson }>(stack.criTs.socket, ['inspecti', 'mirror-only.test/pause:1']);
    assert.equal(status.status.pinned, true);
    const viaHosts = await crictl(stack.criTs.socket, ['pull', 'hosts-only.test/app/two-layers:v1']);
    assert.equal(viaHosts.code, 0, viaHosts.stderr);
    assert.match(viaHosts.stdout, new RegExp(twoLayers.configDigest));
  });

  it('authenticates with basic auth, and says so when credentials are missing or wrong', async () => {
    const image = await pushTestImage(withAuth.url, 'private/app', 'v1', { credentials: AUTH });
    const none = await crictl(stack.criTs.socket, ['pull', image.reference]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /code = Unauthenticated.*credentials/);
    const wrong = await crictl(stack.criTs.socket, ['pull', '--creds', `${AUTH.username}:wrong`, image.reference]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /code = Unauthenticated/);
    const right = await crictl(stack.criTs.socket, ['pull', '--creds', `${AUTH.username}:${AUTH.password}`, image.reference]);
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, new RegExp(image.configDigest));
    await assertNothingLeftOver(stack);
  });

  it('refuses malformed references and reports unknown repositories and tags as NotFound', async () => {
    const malformed = await crictl(stack.criTs.socket, ['pull', `${plain.host}/UPPER/case:v1`]);
    assert.match(malformed.stderr, /code = InvalidArgument.*UPPER\/case.*lowercase/);
    const noRepo = await crictl(stack.criTs.socket, ['pull', `${plain.host}/no/such-repo:v1`]);
    assert.match(noRepo.stderr, /code = NotFound.*no\/such-repo/);
    const noTag = await crictl(stack.criTs.socket, ['pull', `${plain.host}/app/two-layers:no-such-tag`]);
    assert.match(noTag.stderr, /code = NotFound.*no-such-tag/);
    // containerd ranks a registry's 404 above an endpoint it could not reach: a missing tag stays NotFound.
    const mirrorLacksIt = await crictl(stack.criTs.socket, ['pull', '127.0.0.1:9/no/such-repo:v1']);
    assert.match(mirrorLacksIt.stderr, /code = NotFound.*127\.0\.0\.1:9\/no\/such-repo:v1/);
    await assertNothingLeftOver(stack);
  });

  for (const [mode, expected] of [
    ['bad-digest', /code = FailedPrecondition.*sha256:[a-f0-9]{64}/],
    ['truncate', /code = Unavailable.*after \d+ of \d+ bytes/],
    ['stall', /code = Unavailable.*sent no data for 2000 ms/],
  ] as const) {
    it(`a registry that misbehaves mid-blob (${mode}) fails the pull cleanly and leaves nothing behind`, async () => {
      let fake: FakeRegistry | undefined;
      try {
        fake = await startFakeRegistry(mode);
        const pull = await crictl(stack.criTs.socket, ['pull', `${fake.host}/${fake.image.repository}:${fake.image.tag}`]);
        assert.notEqual(pull.code, 0);
        assert.match(pull.stderr, expected);
        await assertNothingLeftOver(stack);
        assert.equal(await contentExists(stack, fake.image.layerDigest), false, 'the bad layer is not in the content store');
        const list = await crictlJson<{ images: ImageJson[] }>(stack.criTs.socket, ['images']);
        assert.equal(list.images.some((i) => i.id === fake!.image.configDigest), false);
        // the daemon is unharmed
        assert.equal((await crictl(stack.criTs.socket, ['version'])).code, 0);
      } finally {
        await fake?.stop();
      }
    });
  }

  it('pulls an image again without fetching a manifest while the registry says it has not changed (imagePullPolicy Always)', async () => {
    const fake = await startFakeRegistry('good');
    try {
      const { repository, tag, manifestDigest, configDigest } = fake.image;
      const byTag = `${fake.host}/${repository}:${tag}`;
      const manifestRequests = (since: number): string[] => fake.requests.slice(since).filter((r) => r.includes('/manifests/'));
      let since = fake.requests.length;
      assert.equal((await crictl(stack.criTs.socket, ['pull', byTag])).code, 0);
      assert.deepEqual(manifestRequests(since), [`GET /v2/${repository}/manifests/${tag}`], 'a first pull GETs the manifest at once');

      since = fake.requests.length;
      assert.equal((await crictl(stack.criTs.socket, ['pull', byTag])).code, 0);
      // A HEAD, which Docker Hub does not count as a pull; the manifest, config and layer come from the content store.
      assert.deepEqual(fake.requests.slice(since).filter((r) => r !== 'GET /v2/'), [`HEAD /v2/${repository}/manifests/${tag}`]);

      since = fake.requests.length;
      assert.equal((await crictl(stack.criTs.socket, ['pull', `${fake.host}/${repository}@${manifestDigest}`])).code, 0);
      assert.deepEqual(manifestRequests(since), [`HEAD /v2/${repository}/manifests/${manifestDigest}`], 'by digest, likewise');

      const status = await crictlJson<{ status: { id: string } }>(stack.criTs.socket, ['inspecti', byTag]);
      assert.equal(status.status.id, configDigest);
      assert.equal((await crictl(stack.criTs.socket, ['rmi', configDigest])).code, 0);
    } finally {
      await fake.stop();
    }
  });

  it('a RemoveImage right after the PullImage answers leaves no content, snapshot or lease of the image', async () => {
    const image = await pushTestImage(plain.url, 'app/at-once', 'v1', { layers: 2 });
    const reference = `${plain.host}/app/at-once:v1`;
    const cri = criClient(stack.criTs.socket);
    try {
      for (let round = 0; round < 3; round++) {
        // Back to back on one connection: the pull's lease is deleted after its answer, and the removal must wait for that.
        await cri.images.PullImage({ image: { image: reference } });
        await cri.images.RemoveImage({ image: { image: reference } });
        for (const digest of [image.manifestDigest, image.configDigest, ...image.layerDigests]) {
          assert.equal(await contentExists(stack, digest), false, `round ${round}: ${digest} is collected`);
        }
        const snapshots: string[] = [];
        for await (const { info } of stack.client.listSnapshots({ snapshotter: 'overlayfs', filters: [] })) snapshots.push(...info.map((i) => i.name));
        const chains = chainIds(image.diffIds);
        assert.deepEqual(snapshots.filter((name) => chains.includes(name)), [], `round ${round}: no layer snapshot is left`);
        await assertNothingLeftOver(stack);
      }
    } finally {
      cri.close();
    }
  });

  it('removes one tag of several without the others, then the image by ID', async () => {
    const image = await pushTestImage(plain.url, 'app/tags', 'one');
    await pushManifest(plain.url, 'app/tags', 'two', { digest: image.manifestDigest, bytes: image.manifest }, image.manifestMediaType);
    const one = `${plain.host}/app/tags:one`;
    const two = `${plain.host}/app/tags:two`;
    assert.equal((await crictl(stack.criTs.socket, ['pull', one])).code, 0);
    assert.equal((await crictl(stack.criTs.socket, ['pull', two])).code, 0);
    const both = await crictlJson<{ status: ImageJson }>(stack.criTs.socket, ['inspecti', one]);
    assert.deepEqual(both.status.repoTags, [one, two]);
    const untag = await crictl(stack.criTs.socket, ['rmi', one]);
    assert.equal(untag.code, 0, untag.stderr);
    const left = await crictlJson<{ status: ImageJson }>(stack.criTs.socket, ['inspecti', two]);
    assert.deepEqual(left.status.repoTags, [two]);
    assert.equal(left.status.id, image.configDigest);
    const byId = await crictl(stack.criTs.socket, ['rmi', image.configDigest]);
    assert.equal(byId.code, 0, byId.stderr);
    const gone = await crictl(stack.criTs.socket, ['inspecti', two]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /no such image/);
    // containerd has no record of it left
    const { images: records } = await stack.client.images.List({ filters: [] });
    assert.equal(records.some((r) => r.name.includes('app/tags') || r.name === image.configDigest), false);
  });
});
