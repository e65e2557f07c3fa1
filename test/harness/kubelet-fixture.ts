import { execFile } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crictl } from './crictl.js';
import { createTestKubelet, type TestKubelet } from './kubelet.js';
import { OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry, writeBridgeConflist } from './offline-images.js';
import { startStack, type TestStack } from './stack.js';

/** A standalone kubelet (static pods, no API server) on a containerd and cri-ts of the test's own. */
export interface KubeletFixture {
  readonly stack: TestStack;
  readonly kubelet: TestKubelet;
  /** Tears everything down, also after a failed test: kubelet, its pods, mounts, cgroups, host settings, bridge. */
  stop(): Promise<void>;
}

export interface KubeletFixtureOptions {
  bridge: string;
  subnet: string;
  /** kubelet's API port on 127.0.0.1 (healthz takes the next one). */
  port: number;
  cgroupRoot: string;
  nodeName: string;
  /** More cri-ts config: keys of [containerd] and tables (runtime handlers). */
  criTs?: { containerdToml?: string; extraToml?: string };
}

/** Stops and removes every pod sandbox through cri-ts; a cri-ts that died is started again for it first. */
async function removeAllPods(stack: TestStack): Promise<void> {
  if ((await crictl(stack.criTs.socket, ['rmp', '-f', '-a'], 120)).code === 0) return;
  await stack.criTs.stop();
  await stack.criTs.start();
  await crictl(stack.criTs.socket, ['rmp', '-f', '-a'], 120);
}

/** The test directory goes away with the stack; the daemons' logs of the last run stay for reading failures. */
export const KUBELET_E2E_LOGS = process.env.KUBELET_E2E_LOGS ?? '/tmp/crits-kubelet-e2e-logs';

async function keepLogs(paths: string[]): Promise<void> {
  await mkdir(KUBELET_E2E_LOGS, { recursive: true });
  for (const path of paths) await copyFile(path, join(KUBELET_E2E_LOGS, path.split('/').at(-1) ?? 'log')).catch(() => undefined);
}

export async function startKubeletFixture(prefix: string, options: KubeletFixtureOptions): Promise<KubeletFixture> {
  await requireOfflineRegistry();
  const stack = await startStack(prefix, {
    topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`,
    containerdToml: options.criTs?.containerdToml ?? '',
    extraToml: `${OFFLINE_MIRRORS_TOML}\n${options.criTs?.extraToml ?? ''}`,
  });
  const kubelet = await createTestKubelet({
    dir: join(stack.dir, 'kubelet'),
    criSocket: stack.criTs.socket,
    nodeName: options.nodeName,
    cgroupRoot: options.cgroupRoot,
    port: options.port,
  });
  const stop = async (): Promise<void> => {
    const failures: unknown[] = [];
    await kubelet.stopProcess().catch((e: unknown) => failures.push(e));
    await removeAllPods(stack).catch((e: unknown) => failures.push(e));
    await keepLogs([kubelet.logPath, stack.criTs.logPath, stack.containerd.logPath]).catch(() => undefined);
    await kubelet.cleanUpHost().catch((e: unknown) => failures.push(e));
    await stack.stop().catch((e: unknown) => failures.push(e));
    // CNI's bridge outlives the pods it was made for
    await new Promise<void>((resolve) => execFile('ip', ['link', 'del', options.bridge], () => resolve()));
    if (failures.length > 0) throw new AggregateError(failures, 'kubelet fixture teardown failed');
  };
  try {
    await writeBridgeConflist(join(stack.dir, 'cni-conf'), { name: prefix, bridge: options.bridge, subnet: options.subnet, ipamDir: join(stack.dir, 'ipam') });
    await kubelet.start();
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { stack, kubelet, stop };
}
