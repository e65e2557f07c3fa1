import { InvalidArgumentError } from '../../errors.js';
import type { PodSandboxConfig__Output } from '../../generated/cri/runtime/v1/PodSandboxConfig.js';
import type { SecurityProfile__Output } from '../../generated/cri/runtime/v1/SecurityProfile.js';
import { checkAbsolutePath, checkBytes, checkCount, checkLength, checkMapBytes, checkMapKeysNotEmpty, checkNoBacksteps, checkPort } from './checks.js';
import { LIMITS } from './limits.js';

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

/** Labels and annotations of a pod or container config. */
export function checkLabelsAndAnnotations(config: { labels: Record<string, string>; annotations: Record<string, string> }, field: string): void {
  checkMapKeysNotEmpty(config.labels, `${field}.labels`);
  checkMapKeysNotEmpty(config.annotations, `${field}.annotations`);
  checkMapBytes(config.labels, LIMITS.labelsBytes, `${field}.labels`, 'the budget apimachinery gives annotations');
  checkMapBytes(config.annotations, LIMITS.annotationsBytes, `${field}.annotations`, "apimachinery's TotalAnnotationSizeLimitB");
}

/** A seccomp or AppArmor profile: a localhost seccomp profile is a clean absolute path on the node, as kubelet resolves it. */
export function checkSecurityProfile(profile: SecurityProfile__Output | null | undefined, field: string, kind: 'seccomp' | 'apparmor'): void {
  if (!profile) return;
  if (profile.localhostRef === '') return;
  if (kind === 'seccomp') checkAbsolutePath(profile.localhostRef, `${field}.localhost_ref`, LIMITS.pathBytes);
  else checkLength(profile.localhostRef, LIMITS.pathBytes, `${field}.localhost_ref`, 'an AppArmor profile name');
}

/** A legacy profile path ("localhost/<path>"): the path part as a localhost_ref. */
export function checkLegacyProfilePath(value: string, field: string): void {
  checkBytes(value, LIMITS.pathBytes, field, 'PATH_MAX');
  if (value.startsWith('localhost/')) checkNoBacksteps(value.slice('localhost/'.length), field);
}

/**
 * RunPodSandbox's config, checked for size and shape before anything is
 * created or spawned (a pod name past what fits an environment string once
 * failed inside CNI with E2BIG, after the netns existed).
 */
export function checkPodSandboxConfig(config: PodSandboxConfig__Output, field = 'config'): void {
  const m = config.metadata;
  if (m) {
    checkLength(m.name, LIMITS.podName, `${field}.metadata.name`, 'cri-ts bounds names');
    checkLength(m.namespace, LIMITS.namespace, `${field}.metadata.namespace`, 'cri-ts bounds names');
    checkLength(m.uid, LIMITS.uid, `${field}.metadata.uid`, 'cri-ts bounds names');
  }
  checkLength(config.hostname, LIMITS.hostname, `${field}.hostname`, 'HOST_NAME_MAX');
  if (config.logDirectory !== '') checkAbsolutePath(config.logDirectory, `${field}.log_directory`, LIMITS.pathBytes);
  const dns = config.dnsConfig;
  if (dns) {
    checkCount(dns.servers, LIMITS.dnsServers, `${field}.dns_config.servers`, "apimachinery's MaxDNSNameservers");
    checkCount(dns.searches, LIMITS.dnsSearches, `${field}.dns_config.searches`, "apimachinery's MaxDNSSearchPaths");
    checkLength(dns.searches.join(' '), LIMITS.dnsSearchChars, `${field}.dns_config.searches`, "apimachinery's MaxDNSSearchListChars");
    checkCount(dns.options, LIMITS.dnsSearches, `${field}.dns_config.options`, 'as many as search domains');
    dns.options.forEach((o, i) => checkLength(o, LIMITS.dnsSearchChars, `${field}.dns_config.options[${i}]`, 'a resolv.conf option'));
    dns.servers.forEach((s, i) => checkLength(s, 64, `${field}.dns_config.servers[${i}]`, 'an IP address'));
  }
  checkCount(config.portMappings, LIMITS.portMappings, `${field}.port_mappings`, 'cri-ts bounds the portmap rules of one pod');
  config.portMappings.forEach((p, i) => {
    const where = `${field}.port_mappings[${i}]`;
    checkPort(p.containerPort, `${where}.container_port`, false);
    checkPort(p.hostPort, `${where}.host_port`, true);
    if (!PROTOCOLS.has(String(p.protocol))) throw new InvalidArgumentError(`${where}.protocol ${String(p.protocol)} is not one of TCP, UDP, SCTP`);
    checkLength(p.hostIp, 64, `${where}.host_ip`, 'an IP address');
  });
  checkLabelsAndAnnotations(config, field);
  const linux = config.linux;
  if (linux) {
    if (linux.cgroupParent !== '') {
      checkBytes(linux.cgroupParent, LIMITS.pathBytes, `${field}.linux.cgroup_parent`, 'PATH_MAX');
      checkNoBacksteps(linux.cgroupParent, `${field}.linux.cgroup_parent`);
    }
    checkCount(linux.sysctls, LIMITS.sysctls, `${field}.linux.sysctls`, 'more than Linux has namespaced sysctls');
    const sc = linux.securityContext;
    if (sc) {
      checkSecurityProfile(sc.seccomp, `${field}.linux.security_context.seccomp`, 'seccomp');
      checkSecurityProfile(sc.apparmor, `${field}.linux.security_context.apparmor`, 'apparmor');
      checkLegacyProfilePath(sc.seccompProfilePath, `${field}.linux.security_context.seccomp_profile_path`);
    }
  }
}
