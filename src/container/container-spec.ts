import { hostname } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import type { ContainerConfig__Output } from '../generated/cri/runtime/v1/ContainerConfig.js';
import type { ImageConfig } from '../image/image-config.js';

import type { SandboxMetadata, SandboxPaths } from '../sandbox/sandbox.js';
import type { ResolvedUser } from './container.js';
import { envStrings } from './container-env.js';
import type { ImageVolume } from './image-volumes.js';
import { apparmorProfileFor } from '../oci/apparmor.js';
import { withCapabilities } from '../oci/capabilities.js';
import { cgroupsPath, type CgroupDriver, withCgroupsPath } from '../oci/cgroups.js';
import { defaultSpec } from '../oci/default-spec.js';
import { withDevices } from '../oci/devices.js';
import { withMaskedAndReadonlyPaths } from '../oci/masked-paths.js';
import { withCriMounts, withSandboxFiles } from '../oci/mounts.js';
import { type NamespaceChoice, withNamespace } from '../oci/namespaces.js';
import type { OciSpec } from '../oci/oci-types.js';
import { withOomScoreAdj } from '../oci/oom-score.js';
import { withPrivileged } from '../oci/privileged.js';
import { withAnnotations, withArgs, withCwd, withEnv, withReadonlyRootfs, withUserIds } from '../oci/process.js';
import { withLinuxResources } from '../oci/resources.js';
import { seccompProfileFor } from '../oci/seccomp.js';
import { containerUserNamespace, type PodUserNamespace, podUserNamespace, USERNS_FIELD, withHostSysfs, withUserNamespace } from '../oci/user-namespace.js';

export interface ContainerSpecInput {
  id: string;
  config: ContainerConfig__Output;
  sandbox: SandboxMetadata;
  /** The pause process, whose namespaces the container joins. */
  sandboxPid: number;
  sandboxFiles: SandboxPaths;
  image: ImageConfig;
  imageName: string;
  user: ResolvedUser;
  /** For pid namespace TARGET: the target container's process. */
  targetPid?: number;
  cgroupDriver: CgroupDriver;
  containerdNamespace: string;
  restrictOomScoreAdj: boolean;
  /** The image's VOLUMEs no CRI mount covers, with their host directories. */
  imageVolumes?: ImageVolume[];
  /** The host directory of each image mount (Mount.image), by its index in config.mounts. */
  imageMountSources?: ReadonlyMap<number, string>;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** CRI's rule: the config's command replaces the entrypoint; its args replace cmd, and an explicit command drops cmd. */
export function containerArgs(config: ContainerConfig__Output, image: ImageConfig): string[] {
  let command = config.command;
  let args = config.args;
  if (command.length === 0) {
    command = image.entrypoint;
    if (args.length === 0) args = image.cmd;
  }
  return [...command, ...args];
}

/** The pid namespace by NamespaceOption; absent options mean POD, the proto's zero value, as for containerd's CRI. */
export function pidNamespace(input: Pick<ContainerSpecInput, 'config' | 'sandboxPid' | 'targetPid'>): NamespaceChoice {
  const mode = input.config.linux?.securityContext?.namespaceOptions?.pid ?? 'POD';
  if (mode === 'NODE') return { kind: 'host' };
  if (mode === 'POD') return { kind: 'join', path: `/proc/${input.sandboxPid}/ns/pid` };
  if (mode === 'TARGET') {
    if (!input.targetPid) throw new InvalidArgumentError('linux.security_context.namespace_options.target_id names no running container in this pod');
    return { kind: 'join', path: `/proc/${input.targetPid}/ns/pid` };
  }
  return { kind: 'new' };
}

/** A container's user namespace: its pod's (InvalidArgument when its config asks for another). */
export function userNamespaceOf(config: ContainerConfig__Output, sandbox: Pick<SandboxMetadata, 'config'>): PodUserNamespace {
  const pod = podUserNamespace(sandbox.config.linux?.securityContext?.namespaceOptions?.usernsOptions);
  return containerUserNamespace(config.linux?.securityContext?.namespaceOptions?.usernsOptions, pod);
}

/**
 * The OCI spec of an app container, from the image config and the CRI
 * config, as a list of small options: process, user, namespaces shared with
 * the pod, mounts, security, devices, resources.
 */
export async function buildContainerSpec(input: ContainerSpecInput): Promise<OciSpec> {
  const { config, sandbox } = input;
  const security = config.linux?.securityContext ?? null;
  const privileged = security?.privileged ?? false;
  if (privileged && !sandbox.config.linux?.securityContext?.privileged) {
    throw new InvalidArgumentError('linux.security_context.privileged: a privileged container needs a privileged pod sandbox (linux.security_context.privileged on the pod)');
  }
  const spec = defaultSpec();

  const args = containerArgs(config, input.image);
  if (args.length === 0) throw new InvalidArgumentError(`no command to run: the config gives no command or args and image ${input.imageName} has no entrypoint or cmd`);
  withArgs(spec, args);
  // As Docker and containerd do: the pod's hostname (the node's when the pod names none), which image and config may override.
  withEnv(spec, [`HOSTNAME=${sandbox.config.hostname || hostname()}`]);
  withEnv(spec, input.image.env.some((e) => e.startsWith('PATH=')) ? input.image.env : [DEFAULT_PATH, ...input.image.env]);
  withEnv(spec, envStrings(config.envs));
  withCwd(spec, config.workingDir || input.image.workingDir);
  spec.process!.terminal = config.tty;
  withUserIds(spec, input.user.uid, input.user.gid, input.user.additionalGids);
  spec.process!.noNewPrivileges = security?.noNewPrivs ?? false;
  withReadonlyRootfs(spec, security?.readonlyRootfs ?? false);

  const pause = `/proc/${input.sandboxPid}/ns`;
  withNamespace(spec, 'network', sandbox.hostNetwork ? { kind: 'host' } : { kind: 'join', path: sandbox.netnsPath });
  const hostIpc = sandbox.config.linux?.securityContext?.namespaceOptions?.ipc === 'NODE';
  withNamespace(spec, 'ipc', hostIpc ? { kind: 'host' } : { kind: 'join', path: `${pause}/ipc` });
  withNamespace(spec, 'uts', sandbox.hostNetwork ? { kind: 'host' } : { kind: 'join', path: `${pause}/uts` });
  const pid = pidNamespace(input);
  withNamespace(spec, 'pid', pid);
  const userns = userNamespaceOf(config, sandbox);
  if (userns.mode === 'pod') {
    // /proc mounts only from the user namespace that owns the pid namespace.
    if (pid.kind === 'host') throw new InvalidArgumentError(`linux.security_context.namespace_options.pid NODE cannot be combined with the pod's own user namespace (${USERNS_FIELD} mode POD)`);
    withUserNamespace(spec, { ...userns, join: `${pause}/user` });
    if (sandbox.hostNetwork) withHostSysfs(spec);
  }
  const podMappings = userns.mode === 'pod' ? { uidMappings: [userns.uidMapping], gidMappings: [userns.gidMapping] } : undefined;

  const files = { ...input.sandboxFiles, shm: hostIpc ? '/dev/shm' : input.sandboxFiles.shm };
  withSandboxFiles(spec, files, config.mounts, security?.readonlyRootfs ?? false, podMappings);
  await withCriMounts(spec, config.mounts, input.imageVolumes, input.imageMountSources, userns.mode === 'pod');

  const capabilities = security?.capabilities;
  if (privileged) {
    await withPrivileged(spec);
  } else {
    withCapabilities(spec, { add: capabilities?.addCapabilities ?? [], drop: capabilities?.dropCapabilities ?? [] }, false);
    withMaskedAndReadonlyPaths(spec, { maskedPaths: security?.maskedPaths ?? [], readonlyPaths: security?.readonlyPaths ?? [] }, false);
  }
  const seccomp = await seccompProfileFor(
    { seccomp: security?.seccomp ?? null, seccompProfilePath: security?.seccompProfilePath ?? '' },
    { privileged, capabilities: spec.process!.capabilities?.bounding ?? [] },
  );
  if (seccomp) spec.linux!.seccomp = seccomp;
  const apparmor = await apparmorProfileFor({ apparmor: security?.apparmor ?? null, apparmorProfile: security?.apparmorProfile ?? "" }, privileged);
  if (apparmor) spec.process!.apparmorProfile = apparmor;

  await withDevices(spec, config.devices);
  withLinuxResources(spec, config.linux?.resources ?? null);
  // Without resources the container keeps the shim's score, as with containerd's CRI; kubelet always sends them.
  if (config.linux?.resources) withOomScoreAdj(spec, Number(config.linux.resources.oomScoreAdj), input.restrictOomScoreAdj);
  withCgroupsPath(spec, cgroupsPath(sandbox.config.linux?.cgroupParent ?? '', input.id, input.cgroupDriver, input.containerdNamespace));

  const pod = sandbox.config.metadata;
  withAnnotations(spec, {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.container-name': config.metadata?.name ?? '',
    'io.kubernetes.cri.sandbox-id': sandbox.id,
    'io.kubernetes.cri.sandbox-name': pod?.name ?? '',
    'io.kubernetes.cri.sandbox-namespace': pod?.namespace ?? '',
    'io.kubernetes.cri.sandbox-uid': pod?.uid ?? '',
    'io.kubernetes.cri.image-name': input.imageName,
  });
  return spec;
}
