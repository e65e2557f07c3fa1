import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { OciSpec } from './oci-types.js';
import { LOCALHOST_PREFIX, parseLegacyProfile, type SecurityProfileRef } from './legacy-profile.js';

/** The parts of LinuxContainerSecurityContext__Output that choose the AppArmor profile. */
export interface AppArmorSecurityContext {
  apparmor: SecurityProfileRef | null;
  apparmorProfile: string;
}

/** containerd's name for its RuntimeDefault profile. */
export const DEFAULT_APPARMOR_PROFILE = 'cri-containerd.apparmor.d';

const FIELD = 'linux.security_context.apparmor';
const LEGACY_FIELD = 'linux.security_context.apparmor_profile';

/** What the node says about AppArmor; `root` is "/" but for tests. */
export interface AppArmorHost {
  enabled: boolean;
  /** Names of the profiles loaded in the kernel. */
  loadedProfiles: ReadonlySet<string>;
}

/**
 * AppArmor is on when securityfs shows it and the module says "Y", as runc
 * checks.
 */
export async function readAppArmorHost(root = '/'): Promise<AppArmorHost> {
  const none: AppArmorHost = { enabled: false, loadedProfiles: new Set() };
  try {
    await access(join(root, 'sys/kernel/security/apparmor'));
    const enabled = await readFile(join(root, 'sys/module/apparmor/parameters/enabled'), 'utf8');
    if (!enabled.startsWith('Y')) return none;
  } catch {
    return none;
  }
  let profiles = '';
  try {
    profiles = await readFile(join(root, 'sys/kernel/security/apparmor/profiles'), 'utf8');
  } catch {
    // Not readable (no CAP_MAC_ADMIN?): no profile counts as loaded.
  }
  // Lines are "name (mode)"; a name may contain spaces.
  const loaded = profiles
    .split('\n')
    .map((line) => line.replace(/ \([a-z_]+\)\s*$/, ''))
    .filter((name) => name !== '');
  return { enabled: true, loadedProfiles: new Set(loaded) };
}

/** The deprecated apparmor_profile as a profile. */
export function parseLegacyAppArmorProfile(value: string): SecurityProfileRef | null {
  return parseLegacyProfile(value, { field: LEGACY_FIELD, kind: 'an AppArmor profile', localhost: 'name of a profile loaded on the node' });
}

/**
 * The AppArmor profile name for a container, or undefined for none. The
 * structured field wins over the deprecated one; neither means
 * RuntimeDefault. Without AppArmor on the node, RuntimeDefault and
 * Unconfined mean none, and a Localhost profile is refused. RuntimeDefault
 * is containerd's cri-containerd.apparmor.d when that profile is loaded
 * (cri-ts does not generate it) and none otherwise; a privileged container
 * gets none for RuntimeDefault but keeps a Localhost profile, as in
 * containerd. A Localhost profile must be loaded in the kernel.
 */
export async function apparmorProfileFor(securityContext: AppArmorSecurityContext, privileged: boolean, host?: AppArmorHost): Promise<string | undefined> {
  const fromLegacy = securityContext.apparmor === null;
  const profile = securityContext.apparmor ?? parseLegacyAppArmorProfile(securityContext.apparmorProfile) ?? { profileType: 'RuntimeDefault', localhostRef: '' };
  const field = fromLegacy ? LEGACY_FIELD : `${FIELD}.localhost_ref`;
  if (profile.profileType !== 'Localhost' && profile.localhostRef !== '') {
    throw new InvalidArgumentError(`${FIELD}.localhost_ref "${profile.localhostRef}" is only allowed with profile_type Localhost, not ${profile.profileType}`);
  }
  switch (profile.profileType) {
    case 'Unconfined':
      return undefined;
    case 'RuntimeDefault': {
      if (privileged) return undefined;
      const node = host ?? (await readAppArmorHost());
      return node.enabled && node.loadedProfiles.has(DEFAULT_APPARMOR_PROFILE) ? DEFAULT_APPARMOR_PROFILE : undefined;
    }
    case 'Localhost': {
      const name = profile.localhostRef.startsWith(LOCALHOST_PREFIX) ? profile.localhostRef.slice(LOCALHOST_PREFIX.length) : profile.localhostRef;
      if (name === '') throw new InvalidArgumentError(`${field} must name an AppArmor profile loaded on the node for profile_type Localhost`);
      const node = host ?? (await readAppArmorHost());
      if (!node.enabled) throw new InvalidArgumentError(`${field} "${name}": this node has no AppArmor (it is not enabled in the kernel), so an AppArmor profile cannot be applied; use Unconfined or RuntimeDefault`);
      if (!node.loadedProfiles.has(name)) throw new InvalidArgumentError(`${field}: AppArmor profile "${name}" is not loaded on the node; load it with apparmor_parser first`);
      return name;
    }
    default:
      throw new InvalidArgumentError(`${FIELD}.profile_type "${String(profile.profileType)}" is not one of RuntimeDefault, Unconfined, Localhost`);
  }
}

/** Sets or removes process.apparmorProfile. */
export function withAppArmorProfile(spec: OciSpec, profile: string | undefined): void {
  if (!spec.process) return;
  if (profile === undefined) delete spec.process.apparmorProfile;
  else spec.process.apparmorProfile = profile;
}
