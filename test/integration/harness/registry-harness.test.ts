import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { type FakeRegistry, type FakeRegistryMode, startFakeRegistry } from '../../harness/fake-registry.js';
import { ALL_MANIFEST_TYPES, MEDIA_TYPES, type PushedImage, pushTestImage, pushTestIndex } from '../../harness/image-push.js';
import { waitFor } from '../../harness/processes.js';
import { basicAuth, httpRequest, startTestRegistry, type TestRegistry } from '../../harness/registry.js';
import { makeTestDir } from '../../harness/test-dir.js';

const execFileAsync = promisify(execFile);
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface ManifestDoc {
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: Array<{ mediaType: string; digest: string; size: number }>;
}

interface IndexDoc {
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; platform: { os: string; architecture: string; variant?: string } }>;
}

interface ImageConfigDoc {
  architecture: string;
  os: string;
  config: { User?: string; Entrypoint?: string[]; Env?: string[] };
  rootfs: { type: string; diff_ids: string[] };
}

async function getBlob(url: string, repository: string, digest: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const response = await httpRequest(`${url}/v2/${repository}/blobs/${digest}`, { headers });
  assert.equal(response.status, 200, `GET blob ${digest}`);
  assert.equal(sha256(response.body), digest);
  return response.body;
}

/** Checks everything a puller would: manifest digest by tag, config and layers by digest, diff_ids of the tars. */
async function assertPulls(url: string, repository: string, tag: string, image: PushedImage, headers: Record<string, string> = {}): Promise<ManifestDoc> {
  const response = await httpRequest(`${url}/v2/${repository}/manifests/${tag}`, { headers: { ...headers, Accept: image.manifestMediaType } });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], image.manifestMediaType);
  assert.equal(response.headers['docker-content-digest'], image.manifestDigest);
  assert.equal(sha256(response.body), image.manifestDigest);
  assert.equal(response.body.length, image.manifestSize);
  const manifest = JSON.parse(response.body.toString('utf8')) as ManifestDoc;
  assert.equal(manifest.config.digest, image.configDigest);
  assert.deepEqual(manifest.layers.map((layer) => layer.digest), image.layerDigests);
  const config = JSON.parse((await getBlob(url, repository, image.configDigest, headers)).toString('utf8')) as ImageConfigDoc;
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: image.diffIds });
  let total = response.body.length + manifest.config.size;
  for (const [i, digest] of image.layerDigests.entries()) {
    const layer = await getBlob(url, repository, digest, headers);
    assert.equal(sha256(gunzipSync(layer)), image.diffIds[i]);
    total += layer.length;
  }
  assert.equal(total, image.totalSize);
  return manifest;
}

describe('test registry fixture (real distribution registry)', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>> | undefined;
  let registry: TestRegistry | undefined;
  before(async () => {
    testDir = await makeTestDir('registry');
    registry = await startTestRegistry(join(testDir.dir, 'plain'));
  });
  after(async () => {
    await registry?.stop();
    await testDir?.remove();
  });

  it('answers GET /v2/ on a loopback port of its own', async () => {
    assert.match(registry!.host, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(registry!.host, '127.0.0.1:5000');
    const response = await httpRequest(`${registry!.url}/v2/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  it('pushes a two-layer docker image that the registry serves back intact', async () => {
    const image = await pushTestImage(registry!.url, 'harness/docker', 'v1', {
      layers: 2,
      user: '1000:1000',
      entrypoint: ['/bin/sh', '-c', 'true'],
      files: { 'etc/motd': 'hi\n', 'app/deep/dir/file.txt': 'deep\n' },
    });
    assert.equal(image.reference, `${registry!.host}/harness/docker:v1`);
    assert.equal(image.layerDigests.length, 2);
    assert.notEqual(image.layerDigests[0], image.layerDigests[1]);
    const manifest = await assertPulls(registry!.url, 'harness/docker', 'v1', image);
    assert.equal(manifest.config.mediaType, MEDIA_TYPES.docker.config);
    assert.ok(manifest.layers.every((layer) => layer.mediaType === MEDIA_TYPES.docker.layer));

    const config = JSON.parse((await getBlob(registry!.url, 'harness/docker', image.configDigest)).toString('utf8')) as ImageConfigDoc;
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.os, 'linux');
    assert.equal(config.config.User, '1000:1000');
    assert.deepEqual(config.config.Entrypoint, ['/bin/sh', '-c', 'true']);
    assert.match(config.config.Env?.[0] ?? '', /^PATH=/);

    // GNU tar must agree that the hand-written layer is a well-formed archive.
    const layerPath = join(testDir!.dir, 'layer.tar.gz');
    await writeFile(layerPath, await getBlob(registry!.url, 'harness/docker', image.layerDigests[1]!));
    const { stdout } = await execFileAsync('tar', ['-tzf', layerPath]);
    assert.deepEqual(stdout.trim().split('\n'), ['app/', 'app/deep/', 'app/deep/dir/', 'app/deep/dir/file.txt', 'etc/', 'etc/cri-ts-test/', 'etc/cri-ts-test/layer-1', 'etc/motd']);
  });

  it('pushes an OCI image with OCI media types', async () => {
    const image = await pushTestImage(registry!.url, 'harness/oci', 'v1', { mediaTypes: 'oci' });
    assert.equal(image.manifestMediaType, MEDIA_TYPES.oci.manifest);
    const manifest = await assertPulls(registry!.url, 'harness/oci', 'v1', image);
    assert.equal(manifest.mediaType, MEDIA_TYPES.oci.manifest);
    assert.equal(manifest.config.mediaType, MEDIA_TYPES.oci.config);
    assert.deepEqual(manifest.layers.map((layer) => layer.mediaType), [MEDIA_TYPES.oci.layer]);
  });

  it('pushes the same image twice without error and with the same digests', async () => {
    const first = await pushTestImage(registry!.url, 'harness/again', 'v1');
    const second = await pushTestImage(registry!.url, 'harness/again', 'v1');
    assert.equal(second.manifestDigest, first.manifestDigest);
  });

  it('produces images that skopeo, a real client, can read', async () => {
    const image = await pushTestImage(registry!.url, 'harness/skopeo', 'v1', { mediaTypes: 'oci' });
    const { stdout } = await execFileAsync('skopeo', ['inspect', '--tls-verify=false', `docker://${image.reference}`], { timeout: 10_000 });
    const inspected = JSON.parse(stdout) as { Digest: string; Layers: string[]; Architecture: string };
    assert.equal(inspected.Digest, image.manifestDigest);
    assert.deepEqual(inspected.Layers, image.layerDigests);
    assert.equal(inspected.Architecture, 'amd64');
  });

  it('pushes an OCI index and a docker manifest list over images from another repository', async () => {
    const amd64 = await pushTestImage(registry!.url, 'harness/parts', 'amd64', { mediaTypes: 'oci' });
    const arm64 = await pushTestImage(registry!.url, 'harness/parts', 'arm64', {
      mediaTypes: 'oci',
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const platforms = [
      { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ];
    for (const [mediaTypes, tag] of [['oci', 'multi'], ['docker', 'list']] as const) {
      const pushed = await pushTestIndex(registry!.url, 'harness/multi', tag, platforms, { mediaTypes });
      assert.equal(pushed.reference, `${registry!.host}/harness/multi:${tag}`);
      const response = await httpRequest(`${registry!.url}/v2/harness/multi/manifests/${tag}`, { headers: { Accept: ALL_MANIFEST_TYPES } });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], MEDIA_TYPES[mediaTypes].index);
      assert.equal(sha256(response.body), pushed.indexDigest);
      const index = JSON.parse(response.body.toString('utf8')) as IndexDoc;
      assert.deepEqual(
        index.manifests.map((m) => [m.digest, m.platform]),
        [
          [amd64.manifestDigest, { os: 'linux', architecture: 'amd64' }],
          [arm64.manifestDigest, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
        ],
      );
    }
    // The children must be pullable through the index's own repository.
    await assertPulls(registry!.url, 'harness/multi', arm64.manifestDigest, arm64);
  });
});

describe('test registry fixture with htpasswd auth', () => {
  const credentials = { username: 'tester', password: 's3cret-pass' };
  let testDir: Awaited<ReturnType<typeof makeTestDir>> | undefined;
  let registry: TestRegistry | undefined;
  before(async () => {
    testDir = await makeTestDir('registry-auth');
    registry = await startTestRegistry(testDir.dir, { htpasswd: credentials });
  });
  after(async () => {
    await registry?.stop();
    await testDir?.remove();
  });

  it('answers 401 with a Basic challenge without credentials, 200 with them', async () => {
    const anonymous = await httpRequest(`${registry!.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="cri-ts-test-registry"/);
    const wrong = await httpRequest(`${registry!.url}/v2/`, { headers: { Authorization: basicAuth({ ...credentials, password: 'nope' }) } });
    assert.equal(wrong.status, 401);
    const authenticated = await httpRequest(`${registry!.url}/v2/`, { headers: { Authorization: basicAuth(credentials) } });
    assert.equal(authenticated.status, 200);
  });

  it('accepts a push with credentials and refuses one without', async () => {
    const image = await pushTestImage(registry!.url, 'private/app', 'v1', { credentials });
    await assertPulls(registry!.url, 'private/app', 'v1', image, { Authorization: basicAuth(credentials) });
    const anonymous = await httpRequest(`${registry!.url}/v2/private/app/manifests/v1`, { headers: { Accept: ALL_MANIFEST_TYPES } });
    assert.equal(anonymous.status, 401);
    await assert.rejects(pushTestImage(registry!.url, 'private/other', 'v1'), /HTTP 401 \(challenge: Basic/);
  });
});

interface StreamedBody {
  status: number;
  headers: IncomingHttpHeaders;
  received(): Buffer;
  /** 'complete' when the whole body arrived, 'incomplete' when the connection ended early. */
  done: Promise<'complete' | 'incomplete'>;
}

/** A GET whose body can be watched while it arrives (or does not). */
function streamGet(url: string): Promise<StreamedBody> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined); // an aborted body also ends in 'close', checked below
      const done = new Promise<'complete' | 'incomplete'>((settle) => res.once('close', () => settle(res.complete ? 'complete' : 'incomplete')));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, received: () => Buffer.concat(chunks), done });
    }).on('error', reject);
  });
}

async function assertServesManifest(fake: FakeRegistry): Promise<ManifestDoc> {
  const { repository, tag, manifestDigest, configDigest, layerDigest } = fake.image;
  const head = await httpRequest(`${fake.url}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ALL_MANIFEST_TYPES } });
  assert.equal(head.status, 200);
  assert.equal(head.headers['docker-content-digest'], manifestDigest);
  const response = await httpRequest(`${fake.url}/v2/${repository}/manifests/${tag}`, { headers: { Accept: ALL_MANIFEST_TYPES } });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], MEDIA_TYPES.docker.manifest);
  assert.equal(response.headers['docker-content-digest'], manifestDigest);
  assert.equal(Number(response.headers['content-length']), response.body.length);
  assert.equal(head.headers['content-length'], response.headers['content-length']);
  assert.equal(sha256(response.body), manifestDigest);
  const byDigest = await httpRequest(`${fake.url}/v2/${repository}/manifests/${manifestDigest}`);
  assert.equal(sha256(byDigest.body), manifestDigest);
  const manifest = JSON.parse(response.body.toString('utf8')) as ManifestDoc;
  assert.equal(manifest.config.digest, configDigest);
  assert.deepEqual(manifest.layers.map((layer) => layer.digest), [layerDigest]);
  await getBlob(fake.url, repository, configDigest);
  assert.equal((await httpRequest(`${fake.url}/v2/${repository}/manifests/nope`)).status, 404);
  return manifest;
}

function describeFake(mode: FakeRegistryMode, checkLayer: (fake: FakeRegistry, layer: StreamedBody, size: number) => Promise<void>): void {
  describe(`fake registry in '${mode}' mode`, () => {
    let fake: FakeRegistry | undefined;
    before(async () => {
      fake = await startFakeRegistry(mode);
    });
    after(async () => {
      await fake?.stop();
    });

    it('serves a valid manifest and config, and misbehaves on the layer blob', async () => {
      const manifest = await assertServesManifest(fake!);
      const size = manifest.layers[0]!.size;
      assert.ok(size > 190 * 1024, `layer is ${size} bytes`);
      const layer = await streamGet(`${fake!.url}/v2/${fake!.image.repository}/blobs/${fake!.image.layerDigest}`);
      assert.equal(layer.status, 200);
      assert.equal(Number(layer.headers['content-length']), size);
      await checkLayer(fake!, layer, size);
      assert.ok(fake!.requests.includes(`GET /v2/fake/app/blobs/${fake!.image.layerDigest}`), fake!.requests.join('\n'));
      assert.ok(fake!.requests.includes('HEAD /v2/fake/app/manifests/v1'));
    });
  });
}

describeFake('bad-digest', async (fake, layer, size) => {
  assert.equal(await layer.done, 'complete');
  const body = layer.received();
  assert.equal(body.length, size);
  assert.notEqual(sha256(body), fake.image.layerDigest);
});

describeFake('truncate', async (_fake, layer, size) => {
  assert.equal(await layer.done, 'incomplete');
  const got = layer.received().length;
  assert.ok(got > 0 && got < size, `received ${got} of ${size}`);
});

describeFake('stall', async (fake, layer, size) => {
  await waitFor('the first half of the layer', () => layer.received().length >= size >> 1, 5_000);
  const got = layer.received().length;
  assert.ok(got < size);
  const settled = await Promise.race([layer.done, sleep(1_000).then(() => 'still open' as const)]);
  assert.equal(settled, 'still open');
  assert.equal(layer.received().length, got, 'no bytes after the stall');
  await fake.stop(); // must not hang on the stalled connection; after() calling it again is harmless
  assert.equal(await layer.done, 'incomplete');
});
