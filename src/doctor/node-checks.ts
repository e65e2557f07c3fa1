import { tmpdir } from 'node:os';
import type { CriTsConfig } from '../config/config.js';
import { checkBridgeNetfilter } from './bridge-netfilter.js';
import { checkCgroups } from './cgroups.js';
import type { CheckResult, DoctorCheck } from './check.js';
import { checkCni } from './cni.js';
import { checkConfigFile } from './config-file.js';
import { checkContainerd } from './containerd.js';
import { ContainerdProbe } from './containerd-probe.js';
import { checkDiskSpace, ROOT_LIMITS, STATE_LIMITS } from './disk-space.js';
import { nearestExisting } from './host-probes.js';
import { checkIpForward } from './ip-forward.js';
import { checkOomScoreAdj } from './oom-score-adj.js';
import { checkOverlayfs } from './overlayfs.js';
import { runChecks } from './run-checks.js';
import { checkRuntimeHandlers } from './runtime-handlers.js';
import { checkSandboxImage } from './sandbox-image.js';
import { checkSocket } from './socket.js';

/** Each check's own deadline; they run at once, so the slowest bounds the whole run. */
const TIMEOUT_MS = 3000;

/** Every check of this node as cri-ts with `config` will use it, in report order. */
export function nodeChecks(config: CriTsConfig, containerd: ContainerdProbe): DoctorCheck[] {
  const check = (name: string, run: () => Promise<CheckResult | CheckResult[]>): DoctorCheck => ({ name, timeoutMs: TIMEOUT_MS, run });
  return [
    check('containerd', () => checkContainerd(config.containerd, containerd)),
    check('runtime handlers', () => checkRuntimeHandlers(config.containerd)),
    check('cgroups', () => checkCgroups(config)),
    check('oom_score_adj', () => checkOomScoreAdj(config.restrictOomScoreAdj)),
    check('ip_forward', () => checkIpForward()),
    check('bridge netfilter', () => checkBridgeNetfilter()),
    check('cni', () => checkCni(config.cni)),
    check('overlayfs', async () =>
      checkOverlayfs(config.containerd, {
        filesystemsFile: '/proc/filesystems',
        isRoot: process.getuid?.() === 0,
        testDir: await nearestExisting(config.root).catch(() => tmpdir()),
      }),
    ),
    check('sandbox image', () => checkSandboxImage(config, containerd)),
    check('socket', () => checkSocket(config.grpcAddress)),
    check('disk root', () => checkDiskSpace('root', config.root, ROOT_LIMITS)),
    check('disk state', () => checkDiskSpace('state', config.state, STATE_LIMITS)),
  ];
}

/** The config check, then (with a valid config) every other check at once. */
export async function diagnoseNode(configPath: string | undefined): Promise<CheckResult[]> {
  const { result, config } = await checkConfigFile(configPath);
  if (!config) return [result];
  const containerd = new ContainerdProbe(config.containerd);
  try {
    return [result, ...(await runChecks(nodeChecks(config, containerd)))];
  } finally {
    containerd.close();
  }
}
