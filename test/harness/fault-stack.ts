import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerdClient } from '../../src/containerd/client.js';
import { createTestContainerd, type TestContainerd } from './containerd.js';
import { criClient } from './cri-client.js';
import { createTestCriTs, type TestCriTs } from './cri-ts.js';
import { bundlesLostByContainerd, killLostShims, type LeakScope, removeCgroupParent } from './leak-list.js';
import { BUSYBOX_IMAGE, OFFLINE_MIRRORS_TOML, PAUSE_IMAGE, requireOfflineRegistry, writeBridgeConflist } from './offline-images.js';
import { parentOf, pidsWhere, waitFor } from './processes.js';
import { makeTestDir } from './test-dir.js';

const exec = promisify(execFile);

/**
 * cri-ts on a containerd of the test's own (an external one the test runs,
 * or the one cri-ts manages), with a bridge network, IPAM directory and
 * cgroup parent of its own: what the fault tests and the soak kill parts of
 * and check for leaks.
 */
export interface FaultStack {
  readonly dir: string;
  readonly criTs: TestCriTs;
  /** The external containerd; undefined when cri-ts manages its own. */
  readonly containerd?: TestContainerd;
  readonly containerdAddress: string;
  readonly client: ContainerdClient;
  readonly scope: LeakScope;
  readonly cgroupParent: string;
  readonly logDirectory: string;
  /** containerd's state directory (its shims' bundles). */
  readonly containerdState: string;
  /** The managed containerd's pid (found by its own config path), or undefined. */
  managedContainerdPid(): Promise<number | undefined>;
  /** The command helper of the running cri-ts, or undefined. */
  commandHelperPid(): Promise<number | undefined>;
  /** Waits until cri-ts answers Status with RuntimeReady and NetworkReady. */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface FaultStackOptions {
  prefix: string;
  managed: boolean;
  bridge: string;
  subnet: string;
  /** More cri-ts config tables, given the test's directory. */
  extraToml?: (dir: string) => string;
  /** More keys of the [cni] table (bin_dirs, plugin_timeout), given the test's directory. */
  cniToml?: (dir: string) => string;
  /** Writes the CNI config instead of the default bridge + portmap + loopback list. */
  writeCniConfig?: (confDir: string, ipamDir: string) => Promise<void>;
  logLevel?: string;
}

export async function startFaultStack(options: FaultStackOptions): Promise<FaultStack> {
  await requireOfflineRegistry();
  const testDir = await makeTestDir(options.prefix);
  const { dir } = testDir;
  const ipamDir = join(dir, 'ipam');
  const containerd = options.managed ? undefined : await createTestContainerd(join(dir, 'containerd'));
  const containerdAddress = containerd ? containerd.address : join(dir, 'managed', 'containerd.sock');
  const managedConfig = join(dir, 'managed', 'state', 'cri-ts-containerd.toml');
  const criTs = await createTestCriTs(dir, {
    containerdAddress: containerd ? containerd.address : join(dir, 'no-containerd.sock'),
    managed: options.managed,
    topLevelToml: `sandbox_image = "${PAUSE_IMAGE}"`,
    // The generated config ends inside its [cni] table: its keys come first.
    extraToml: `${options.cniToml?.(dir) ?? ''}\n${OFFLINE_MIRRORS_TOML}\n${options.extraToml?.(dir) ?? ''}`,
    logLevel: options.logLevel ?? 'info',
  });
  const cgroupParent = `/crits-${options.prefix}-${process.pid}`;
  const logDirectory = join(dir, 'pod-logs');
  await mkdir(logDirectory, { recursive: true });
  const confDir = join(dir, 'cni-conf');
  await (options.writeCniConfig ?? ((c, i) => writeBridgeConflist(c, { name: options.prefix, bridge: options.bridge, subnet: options.subnet, ipamDir: i })))(confDir, ipamDir);
  const client = new ContainerdClient(containerdAddress, 'k8s.io', 10_000);
  const stop = async (): Promise<void> => {
    // A run that failed half-way leaves pods: removed first, so nothing stays mounted under the test directory.
    const cri = criClient(criTs.socket);
    const { items } = await cri.runtime.ListPodSandbox({}).catch(() => ({ items: [] as Array<{ id: string }> }));
    for (const pod of items) await cri.runtime.RemovePodSandbox({ podSandboxId: pod.id }).catch(() => undefined);
    cri.close();
    client.close();
    await criTs.stop().catch(() => undefined);
    const lost = await bundlesLostByContainerd(containerd ? join(dir, 'containerd', 'state') : join(dir, 'managed', 'state'));
    await killLostShims(containerdAddress, lost);
    if (containerd) await containerd.stop().catch(() => undefined);
    for (const pid of await pidsWhere((argv) => argv.includes(managedConfig))) process.kill(pid, 'SIGKILL');
    await exec('ip', ['link', 'del', options.bridge]).catch(() => undefined);
    await removeCgroupParent(cgroupParent);
    // CRI_TS_KEEP_TEST_DIR=1 keeps logs and state for a look after a failure.
    if (!process.env.CRI_TS_KEEP_TEST_DIR) await testDir.remove().catch((err: unknown) => console.error(`# could not remove ${dir}: ${String(err)}`));
  };
  const stack: FaultStack = {
    dir,
    criTs,
    ...(containerd ? { containerd } : {}),
    containerdAddress,
    containerdState: containerd ? join(dir, 'containerd', 'state') : join(dir, 'managed', 'state'),
    client,
    cgroupParent,
    logDirectory,
    scope: {
      root: join(dir, 'cri-ts-root'),
      state: join(dir, 'cri-ts-state'),
      testDir: dir,
      containerd: () => client,
      containerdAddress: () => containerdAddress,
      bridge: options.bridge,
      ipamDir,
      cgroupParent,
      logPath: criTs.logPath,
    },
    managedContainerdPid: async () => (await pidsWhere((argv) => argv[0]?.endsWith('containerd') === true && argv.includes(managedConfig)))[0],
    commandHelperPid: async () => {
      const pid = criTs.pid;
      const helpers = await pidsWhere((argv) => argv.some((a) => a.endsWith('command-helper.pl')));
      for (const helper of helpers) if ((await parentOf(helper)) === pid) return helper;
      return undefined;
    },
    waitReady: async (timeoutMs = 60_000) => {
      const cri = criClient(criTs.socket);
      try {
        await waitFor('cri-ts RuntimeReady', async () => {
          const status = await cri.runtime.Status({ verbose: false }).catch(() => undefined);
          return status?.status?.conditions.every((c) => c.status) === true;
        }, timeoutMs);
      } finally {
        cri.close();
      }
    },
    stop,
  };
  try {
    if (containerd) await containerd.start();
    await criTs.start();
    await stack.waitReady();
    const cri = criClient(criTs.socket);
    try {
      await cri.images.PullImage({ image: { image: BUSYBOX_IMAGE } });
    } finally {
      cri.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return stack;
}
