import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The offline image set test/critest/build-images.sh serves on 127.0.0.1:5000
 * (scripts/test.sh starts it before the integration tests). Pod tests use its
 * pause image through a mirror, as a node would use registry.k8s.io.
 */
export const OFFLINE_REGISTRY = 'http://127.0.0.1:5000';
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
export const BUSYBOX_IMAGE = '127.0.0.1:5000/e2e-test-images/busybox:1.29-2';

export async function requireOfflineRegistry(): Promise<void> {
  const answer = await fetch(`${OFFLINE_REGISTRY}/v2/`).catch(() => undefined);
  if (!answer?.ok) throw new Error(`no image registry at ${OFFLINE_REGISTRY}; run test/critest/build-images.sh first (scripts/test.sh does)`);
}

/** Config lines sending registry.k8s.io to the offline registry. */
export const OFFLINE_MIRRORS_TOML = ['[registry.mirrors."registry.k8s.io"]', `endpoint = ["${OFFLINE_REGISTRY}"]`].join('\n');

/** A bridge network of the test's own (its own bridge, subnet and IPAM state), as the pod tests' CNI config. */
export async function writeBridgeConflist(confDir: string, options: { name: string; bridge: string; subnet: string; ipamDir: string; firstPlugin?: string }): Promise<void> {
  const conflist = {
    cniVersion: '1.0.0',
    name: options.name,
    plugins: [
      {
        type: options.firstPlugin ?? 'bridge',
        bridge: options.bridge,
        isGateway: true,
        ipMasq: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: options.subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: options.ipamDir },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'loopback' },
    ],
  };
  await writeFile(join(confDir, `10-${options.name}.conflist`), JSON.stringify(conflist, null, 2));
}
