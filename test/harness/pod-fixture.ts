import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crictl } from './crictl.js';
import { BUSYBOX_IMAGE, OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry, writeBridgeConflist } from './offline-images.js';
import { startStack, type TestStack } from './stack.js';

/** A running pod on a stack of its own, with busybox pulled, to create containers in. */
export interface PodFixture {
  readonly stack: TestStack;
  readonly podId: string;
  readonly podConfigPath: string;
  readonly logDir: string;
  /** Creates a busybox container running `command`; returns its ID and full log path. */
  create(command: string[], extra?: Record<string, unknown>): Promise<{ id: string; logPath: string }>;
  /** Creates and starts one. */
  run(command: string[], extra?: Record<string, unknown>): Promise<{ id: string; logPath: string }>;
  stop(): Promise<void>;
}

export interface PodFixtureOptions {
  /** The pod's runtime handler (crictl runp --runtime); the default handler otherwise. */
  runtimeHandler?: string;
  /** More cri-ts config tables, e.g. a runtime handler. */
  extraToml?: string;
}

/** The bridge CNI made for the fixture outlives its pods: take it away with the stack. */
async function stopStackAndBridge(stack: TestStack, bridge: string): Promise<void> {
  await stack.stop();
  await new Promise<void>((resolve) => execFile('ip', ['link', 'del', bridge], () => resolve()));
}

export async function startPodFixture(
  prefix: string,
  network: { bridge: string; subnet: string },
  podExtra: Record<string, unknown> = {},
  options: PodFixtureOptions = {},
): Promise<PodFixture> {
  await requireOfflineRegistry();
  const stack = await startStack(prefix, { topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`, extraToml: `${OFFLINE_MIRRORS_TOML}\n${options.extraToml ?? ''}` });
  const logDir = join(stack.dir, 'pod-logs');
  const podConfigPath = join(stack.dir, 'pod.json');
  let podId: string;
  try {
    await writeBridgeConflist(join(stack.dir, 'cni-conf'), { name: prefix, bridge: network.bridge, subnet: network.subnet, ipamDir: join(stack.dir, 'ipam') });
    assert.equal((await crictl(stack.criTs.socket, ['pull', BUSYBOX_IMAGE], 120)).code, 0);
    await writeFile(podConfigPath, JSON.stringify({ metadata: { name: `${prefix}-pod`, namespace: 'itest', uid: `${prefix}-uid` }, log_directory: logDir, linux: {}, ...podExtra }));
    const pod = await crictl(stack.criTs.socket, ['runp', ...(options.runtimeHandler ? ['--runtime', options.runtimeHandler] : []), podConfigPath], 60);
    assert.equal(pod.code, 0, pod.stderr);
    podId = pod.stdout.trim();
  } catch (err) {
    // A fixture that failed to come up must not leave its containerd and cri-ts running.
    await stopStackAndBridge(stack, network.bridge);
    throw err;
  }
  let n = 0;
  const create = async (command: string[], extra: Record<string, unknown> = {}) => {
    n++;
    const path = join(stack.dir, `ctr-${n}.json`);
    await writeFile(path, JSON.stringify({ metadata: { name: `c${n}` }, image: { image: BUSYBOX_IMAGE }, command, log_path: `c${n}.log`, linux: {}, ...extra }));
    const result = await crictl(stack.criTs.socket, ['create', podId, path, podConfigPath]);
    assert.equal(result.code, 0, result.stderr);
    return { id: result.stdout.trim(), logPath: join(logDir, `c${n}.log`) };
  };
  return {
    stack,
    podId,
    podConfigPath,
    logDir,
    create,
    async run(command, extra) {
      const c = await create(command, extra);
      const start = await crictl(stack.criTs.socket, ['start', c.id]);
      assert.equal(start.code, 0, start.stderr);
      return c;
    },
    async stop() {
      await crictl(stack.criTs.socket, ['rmp', '-f', podId]);
      await stopStackAndBridge(stack, network.bridge);
    },
  };
}
