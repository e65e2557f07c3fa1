import { InvalidArgumentError } from '../../errors.js';
import type { ContainerConfig__Output } from '../../generated/cri/runtime/v1/ContainerConfig.js';
import { checkAbsolutePath, checkBytes, checkCount, checkLength, checkNoBacksteps } from './checks.js';
import { LIMITS } from './limits.js';
import { checkLabelsAndAnnotations, checkLegacyProfilePath, checkSecurityProfile } from './pod-config.js';

/** Each string handed to execve (an argument, an environment entry) must fit MAX_ARG_STRLEN. */
function checkExecStrings(values: readonly string[], field: string): void {
  values.forEach((value, i) => checkBytes(value, LIMITS.execStringBytes, `${field}[${i}]`, 'the kernel refuses a longer argument (MAX_ARG_STRLEN)'));
}

/**
 * CreateContainer's config, checked for size and shape before a record, a
 * snapshot or a log file is made. The log path is relative to the pod's log
 * directory and must stay inside it.
 */
export function checkContainerConfig(config: ContainerConfig__Output, field = 'config'): void {
  if (config.metadata) checkLength(config.metadata.name, LIMITS.containerName, `${field}.metadata.name`, 'cri-ts bounds names');
  if (config.image) checkBytes(config.image.image, LIMITS.pathBytes, `${field}.image.image`, 'an image reference');
  checkCount([...config.command, ...config.args], LIMITS.argsEntries, `${field}.command and args`, 'cri-ts bounds the arguments of one process');
  checkExecStrings(config.command, `${field}.command`);
  checkExecStrings(config.args, `${field}.args`);
  checkBytes(config.workingDir, LIMITS.pathBytes, `${field}.working_dir`, 'PATH_MAX');
  checkCount(config.envs, LIMITS.envEntries, `${field}.envs`, 'cri-ts bounds the environment of one process');
  let processBytes = [...config.command, ...config.args].reduce((sum, a) => sum + Buffer.byteLength(a) + 1, 0);
  for (const env of config.envs) processBytes += Buffer.byteLength(env.key) + 2 + (env.value?.length ?? 0);
  if (processBytes > LIMITS.processTotalBytes) {
    throw new InvalidArgumentError(`${field}.command, args and envs total ${processBytes} bytes; at most ${LIMITS.processTotalBytes} are allowed (execve takes them within ARG_MAX)`);
  }
  config.envs.forEach((env, i) => {
    const bytes = Buffer.byteLength(env.key) + 1 + (env.value?.length ?? 0);
    if (bytes > LIMITS.execStringBytes) {
      throw new InvalidArgumentError(`${field}.envs[${i}] is ${bytes} bytes as KEY=VALUE; at most ${LIMITS.execStringBytes} are allowed (the kernel refuses a longer environment string, MAX_ARG_STRLEN)`);
    }
  });
  checkCount(config.mounts, LIMITS.mounts, `${field}.mounts`, 'cri-ts bounds the mounts of one container');
  config.mounts.forEach((mount, i) => {
    const where = `${field}.mounts[${i}]`;
    checkBytes(mount.containerPath, LIMITS.pathBytes, `${where}.container_path`, 'PATH_MAX');
    checkNoBacksteps(mount.containerPath, `${where}.container_path`);
    if (mount.hostPath !== '') checkAbsolutePath(mount.hostPath, `${where}.host_path`, LIMITS.pathBytes);
    if (mount.imageSubPath !== '') {
      checkBytes(mount.imageSubPath, LIMITS.pathBytes, `${where}.image_sub_path`, 'PATH_MAX');
    }
  });
  checkCount(config.devices, LIMITS.devices, `${field}.devices`, 'cri-ts bounds the devices of one container');
  config.devices.forEach((device, i) => {
    checkAbsolutePath(device.hostPath, `${field}.devices[${i}].host_path`, LIMITS.pathBytes);
    checkBytes(device.containerPath, LIMITS.pathBytes, `${field}.devices[${i}].container_path`, 'PATH_MAX');
    checkNoBacksteps(device.containerPath, `${field}.devices[${i}].container_path`);
  });
  checkLabelsAndAnnotations(config, field);
  if (config.logPath !== '') {
    checkBytes(config.logPath, LIMITS.pathBytes, `${field}.log_path`, 'PATH_MAX');
    if (config.logPath.startsWith('/')) throw new InvalidArgumentError(`${field}.log_path must be relative to the pod's log_directory`);
    checkNoBacksteps(config.logPath, `${field}.log_path`);
  }
  const sc = config.linux?.securityContext;
  if (sc) {
    checkSecurityProfile(sc.seccomp, `${field}.linux.security_context.seccomp`, 'seccomp');
    checkSecurityProfile(sc.apparmor, `${field}.linux.security_context.apparmor`, 'apparmor');
    checkLegacyProfilePath(sc.seccompProfilePath, `${field}.linux.security_context.seccomp_profile_path`);
    checkLength(sc.apparmorProfile, LIMITS.pathBytes, `${field}.linux.security_context.apparmor_profile`, 'an AppArmor profile name');
    checkCount(sc.maskedPaths, LIMITS.mounts, `${field}.linux.security_context.masked_paths`, 'as many as mounts');
    checkCount(sc.readonlyPaths, LIMITS.mounts, `${field}.linux.security_context.readonly_paths`, 'as many as mounts');
  }
}
