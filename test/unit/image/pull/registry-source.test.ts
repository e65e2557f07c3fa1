import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeRegistry, startFakeRegistry } from '../../../harness/fake-registry.js';
import { resolveSource } from '../../../../src/image/pull/registry-source.js';
import { parseImageReference } from '../../../../src/image/reference.js';
import { NO_CREDENTIALS } from '../../../../src/image/registry/registry-client.js';
const REGISTRY = { configPath: '', mirrors: {} };

describe('resolveSource', () => {
  let registry: FakeRegistry;
  let manifestBytes: Buffer;

  before(async () => {
    registry = await startFakeRegistry('good');
    const response = await fetch(`${registry.url}/v2/${registry.image.repository}/manifests/${registry.image.tag}`);
    manifestBytes = Buffer.from(await response.arrayBuffer());
  });
  after(async () => {
    await registry?.stop();
  });

  const manifestRequests = (since: number): string[] => registry.requests.slice(since).filter((r) => r.includes('/manifests/'));
  const tagRef = () => parseImageReference(`${registry.host}/${registry.image.repository}:${registry.image.tag}`);
  const tagPath = () => `/v2/${registry.image.repository}/manifests/${registry.image.tag}`;

  it('resolves a reference new to the node with one GET, and no HEAD before it', async () => {
    const since = registry.requests.length;
    const source = await resolveSource(REGISTRY, tagRef(), NO_CREDENTIALS, 5000);
    assert.equal(source.root.digest, registry.image.manifestDigest);
    assert.equal(source.fromStore, undefined);
    assert.deepEqual(manifestRequests(since), [`GET ${tagPath()}`]);
  });

  it('takes the stored root when a HEAD says the tag still names it: no manifest GET', async () => {
    const since = registry.requests.length;
    const source = await resolveSource(REGISTRY, tagRef(), NO_CREDENTIALS, 5000, undefined, { digest: registry.image.manifestDigest, bytes: manifestBytes });
    assert.equal(source.fromStore, true);
    assert.equal(source.root.digest, registry.image.manifestDigest);
    assert.equal(source.root.size, manifestBytes.length);
    assert.ok(source.rootBytes.equals(manifestBytes));
    assert.deepEqual(manifestRequests(since), [`HEAD ${tagPath()}`]);
  });

  it('fetches the manifest when the tag has moved since the stored root', async () => {
    const since = registry.requests.length;
    const moved = { digest: `sha256:${'0'.repeat(64)}`, bytes: Buffer.from('{"schemaVersion":2}') };
    const source = await resolveSource(REGISTRY, tagRef(), NO_CREDENTIALS, 5000, undefined, moved);
    assert.equal(source.fromStore, undefined);
    assert.equal(source.root.digest, registry.image.manifestDigest);
    assert.deepEqual(manifestRequests(since), [`HEAD ${tagPath()}`, `GET ${tagPath()}`]);
  });
});
