import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import { type ImageIndex, MediaType, parseManifestDocument, selectPlatformManifest } from '../../../src/image/manifest.js';

const digest = (c: string): string => `sha256:${c.repeat(64)}`;

function index(platforms: Array<{ os: string; architecture: string; variant?: string }>): ImageIndex {
  return {
    kind: 'index',
    mediaType: MediaType.ociIndex,
    manifests: platforms.map((platform, i) => ({ mediaType: MediaType.ociManifest, digest: digest(String(i)), size: 10, platform })),
  };
}

describe('manifests and indexes', () => {
  it('parses an OCI manifest', () => {
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: digest('c'), size: 100 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('1'), size: 200 }],
      }),
    );
    const parsed = parseManifestDocument(body, MediaType.ociManifest, 'x');
    assert.equal(parsed.kind, 'manifest');
    assert.equal(parsed.kind === 'manifest' && parsed.layers[0]?.size, 200);
  });

  it('reads the media type from the document when the registry sends a generic one', () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] }));
    assert.equal(parseManifestDocument(body, 'application/json', 'x').kind, 'index');
  });

  it('refuses schema 1 with a message that says what to do', () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }));
    assert.throws(
      () => parseManifestDocument(body, MediaType.dockerSchema1Signed, 'old/image:1'),
      (err: unknown) => err instanceof CriError && err.kind === 'InvalidArgument' && /schema 1.*push it again/.test(err.message),
    );
  });

  it('chooses linux/amd64 from an index, skipping attestations', () => {
    const chosen = selectPlatformManifest(
      index([{ os: 'unknown', architecture: 'unknown' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' }]),
      { os: 'linux', architecture: 'amd64' },
      'x',
    );
    assert.equal(chosen.digest, digest('2'));
  });

  it('prefers the exact variant, and accepts a manifest without one', () => {
    const i = index([{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }]);
    assert.equal(selectPlatformManifest(i, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x').digest, digest('1'));
    const noVariant = index([{ os: 'linux', architecture: 'arm64' }]);
    assert.equal(selectPlatformManifest(noVariant, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x').digest, digest('0'));
  });

  it('names the platforms on offer when none matches', () => {
    assert.throws(
      () => selectPlatformManifest(index([{ os: 'windows', architecture: 'amd64' }]), { os: 'linux', architecture: 'amd64' }, 'win:1'),
      /win:1 has no manifest for linux\/amd64 \(it offers: windows\/amd64\)/,
    );
  });
});
