import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText, type CriTsConfig } from '../../../src/config/config.js';
import { ContainerdProbe } from '../../../src/doctor/containerd-probe.js';
import { checkSandboxImage } from '../../../src/doctor/sandbox-image.js';
import { type FakeRegistry, startFakeRegistry } from '../../harness/fake-registry.js';
import { scratchDir } from './scratch.js';

describe('doctor: sandbox image (registry on loopback, no containerd)', () => {
  let registry: FakeRegistry;
  before(async () => {
    registry = await startFakeRegistry('truncate');
  });
  after(() => registry.stop());

  /** A config whose containerd nobody answers for, and whose mirror for registry.k8s.io is the fake registry. */
  async function check(sandboxImage: string): Promise<Awaited<ReturnType<typeof checkSandboxImage>>> {
    const dir = await scratchDir('sbx');
    const config: CriTsConfig = parseConfigText(
      [
        `sandbox_image = ${JSON.stringify(sandboxImage)}`,
        '[containerd]',
        `address = ${JSON.stringify(join(dir, 'nobody.sock'))}`,
        '[containerd.managed]',
        'enabled = false',
        '[registry.mirrors."registry.k8s.io"]',
        `endpoint = [${JSON.stringify(registry.url)}]`,
      ].join('\n'),
      't.toml',
    );
    const probe = new ContainerdProbe(config.containerd, 500);
    after(() => probe.close());
    return checkSandboxImage(config, probe, 2000);
  }

  it('is ok when a mirror resolves it, naming the mirror and the digest', async () => {
    const result = await check(`registry.k8s.io/${registry.image.repository}:${registry.image.tag}`);
    assert.equal(result.status, 'ok', result.detail);
    assert.match(result.detail, new RegExp(`containerd not asked .*; pullable from ${registry.host} \\(${registry.image.manifestDigest}\\)`));
  });

  it('fails when no endpoint has it, saying why', async () => {
    const result = await check(`${registry.host}/${registry.image.repository}:no-such-tag`);
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /no registry endpoint resolves it: .*404|not found/i);
    assert.match(result.fix ?? '', /registry\.mirrors/);
  });

  it('fails a reference that is not one', async () => {
    const result = await check('Registry.k8s.io/Pause:3.10');
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /image reference .* is invalid/);
  });
});
