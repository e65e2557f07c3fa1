import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import {
  makeCgroupRoot,
  recordFixedPaths,
  removeCgroupRoot,
  restoreFixedPaths,
  restoreKernelTunables,
  saveKernelTunables,
  unmountUnder,
  type FixedPaths,
  type SavedTunables,
} from './kubelet-host.js';
import { spawnDaemon, stopProcess, waitFor } from './processes.js';

export const KUBELET_VERSION = process.env.KUBELET_VERSION ?? 'v1.37.2';
const cacheDir = process.env.CRI_TS_CACHE ?? '/var/cache/cri-ts';

/** kubelet built from its Go module by test/kubelet/build-kubelet.sh. */
export function kubeletPath(): string {
  const path = process.env.KUBELET ?? `${cacheDir}/kubelet/${KUBELET_VERSION}/kubelet`;
  if (!existsSync(path)) throw new Error(`kubelet not found at ${path}; run test/kubelet/build-kubelet.sh (scripts/install-deps.sh --test does)`);
  return path;
}

export interface KubeletOptions {
  /** Everything kubelet writes goes under here: root dir, certs, pod logs, its config and log. */
  dir: string;
  criSocket: string;
  nodeName: string;
  /** A cgroup of its own (made in every hierarchy), so it never takes another kubelet's pods for orphans. */
  cgroupRoot: string;
  /** Its API (HTTPS) on 127.0.0.1; healthz (HTTP) on 127.0.0.1:port+1. */
  port: number;
  /** Longest crash-loop back-off (kubelet's default is 5 minutes). */
  maxRestartPeriod?: string;
}

export interface KubeletResponse {
  status: number;
  body: string;
}

export interface TestKubelet {
  readonly nodeName: string;
  readonly manifestDir: string;
  readonly podLogsDir: string;
  readonly logPath: string;
  /** https://127.0.0.1:PORT */
  readonly url: string;
  start(): Promise<void>;
  /** Ends the kubelet process; its pods keep running, as after a real kubelet stops. */
  stopProcess(): Promise<void>;
  /** Once its pods are gone from the runtime: unmounts, removes its cgroups, restores what it changed on the host. */
  cleanUpHost(): Promise<void>;
  /** GET on its API (self-signed certificate, anonymous, AlwaysAllow). */
  get(path: string): Promise<KubeletResponse>;
  /** Writes a static pod manifest the way kubelet's file source expects: whole, by rename. */
  writeManifest(name: string, pod: object): Promise<void>;
  removeManifest(name: string): Promise<void>;
  log(): Promise<string>;
}

/**
 * kubelet's standalone settings for these hosts (ENVIRONMENT.md): no API server,
 * static pods from a directory, cgroupfs on a cgroup v1 host with no systemd,
 * its API on loopback with anonymous auth, nothing it would evict or enforce.
 */
function kubeletConfig(options: KubeletOptions, paths: { manifestDir: string; podLogsDir: string }): object {
  const endpoint = `unix://${options.criSocket}`;
  return {
    kind: 'KubeletConfiguration',
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    address: '127.0.0.1',
    port: options.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: options.port + 1,
    staticPodPath: paths.manifestDir,
    fileCheckFrequency: '1s',
    syncFrequency: '5s',
    podLogsDir: paths.podLogsDir,
    containerRuntimeEndpoint: endpoint,
    imageServiceEndpoint: endpoint,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: options.cgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    protectKernelDefaults: false,
    // its KUBE-FIREWALL and canary chains would outlive the test in the host's iptables
    makeIPTablesUtilChains: false,
    enforceNodeAllocatable: [],
    evictionHard: {},
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    crashLoopBackOff: { maxContainerRestartPeriod: options.maxRestartPeriod ?? '2s' },
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    featureGates: { PodAndContainerStatsFromCRI: true },
  };
}

export async function createTestKubelet(options: KubeletOptions): Promise<TestKubelet> {
  const rootDir = join(options.dir, 'root');
  const manifestDir = join(options.dir, 'manifests');
  const podLogsDir = join(options.dir, 'pod-logs');
  const configPath = join(options.dir, 'kubelet.json');
  const logPath = join(options.dir, 'kubelet.log');
  for (const dir of [rootDir, manifestDir, podLogsDir]) await mkdir(dir, { recursive: true });
  await writeFile(configPath, JSON.stringify(kubeletConfig(options, { manifestDir, podLogsDir }), null, 2));
  const url = `https://127.0.0.1:${options.port}`;
  const healthz = `http://127.0.0.1:${options.port + 1}/healthz`;
  let child: ChildProcess | undefined;
  let tunables: SavedTunables | undefined;
  let fixedPaths: FixedPaths | undefined;

  const get = (path: string): Promise<KubeletResponse> =>
    new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { rejectUnauthorized: false, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
      req.on('error', reject);
      req.end();
    });

  return {
    nodeName: options.nodeName,
    manifestDir,
    podLogsDir,
    logPath,
    url,
    async start() {
      tunables ??= await saveKernelTunables();
      fixedPaths ??= recordFixedPaths();
      await makeCgroupRoot(options.cgroupRoot);
      const args = ['--config', configPath, '--root-dir', rootDir, '--cert-dir', join(rootDir, 'pki'), '--hostname-override', options.nodeName, '--v=2'];
      child = spawnDaemon(kubeletPath(), args, logPath);
      const started = child;
      await waitFor(
        `kubelet healthz at ${healthz} and its API at ${url}`,
        async () => {
          if (started.exitCode !== null) {
            // the log goes away with the test directory: its errors go into the message
            const errors = (await readFile(logPath, 'utf8')).split('\n').filter((l) => /^[EF]\d{4} /.test(l));
            throw new Error(`kubelet exited with ${started.exitCode}:\n${errors.slice(-5).join('\n')}`);
          }
          const health = await fetch(healthz).then((r) => r.text(), () => '');
          return health === 'ok' && (await get('/pods').then((r) => r.status === 200, () => false));
        },
        60_000,
      );
    },
    async stopProcess() {
      if (child) await stopProcess(child, 'SIGTERM', 10_000);
      child = undefined;
    },
    async cleanUpHost() {
      await unmountUnder(rootDir);
      const left = await removeCgroupRoot(options.cgroupRoot);
      if (tunables) await restoreKernelTunables(tunables);
      if (fixedPaths) await restoreFixedPaths(fixedPaths, podLogsDir);
      if (left.length > 0) throw new Error(`kubelet's cgroups could not be removed: ${left.join(', ')}`);
    },
    get,
    async writeManifest(name, pod) {
      // kubelet ignores dot files, so the manifest appears complete or not at all
      const hidden = join(manifestDir, `.${name}.json`);
      await writeFile(hidden, JSON.stringify(pod));
      await rename(hidden, join(manifestDir, `${name}.json`));
    },
    async removeManifest(name) {
      await rm(join(manifestDir, `${name}.json`), { force: true });
    },
    log: () => readFile(logPath, 'utf8'),
  };
}
