import { LOCALHOST_PREFIX, parseLegacyProfile, type SecurityProfileRef } from './legacy-profile.js';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError, errorMessage } from '../errors.js';
import { defaultSeccompProfile, seccompArchitectures, type DefaultProfileOptions } from './default-seccomp-profile.js';
import type { OciSeccomp, OciSpec } from './oci-types.js';

export type SecurityProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

/** A CRI SecurityProfile (as SecurityProfile__Output). */
export type { SecurityProfileRef };

/** The parts of LinuxContainerSecurityContext__Output that choose the seccomp profile. */
export interface SeccompSecurityContext {
  seccomp: SecurityProfileRef | null;
  seccompProfilePath: string;
}

export interface SeccompOptions extends DefaultProfileOptions {
  privileged: boolean;
  /** The container's bounding capabilities ("CAP_SYS_ADMIN", ...): they unlock syscalls in the default profile. */
  capabilities: readonly string[];
}

const FIELD = 'linux.security_context.seccomp';
const LEGACY_FIELD = 'linux.security_context.seccomp_profile_path';

/** The deprecated seccomp_profile_path as a profile. */
export function parseLegacySeccompProfilePath(path: string): SecurityProfileRef | null {
  return parseLegacyProfile(path, { field: LEGACY_FIELD, kind: 'a seccomp profile', localhost: 'absolute path of a profile on the node' });
}

/**
 * The seccomp profile for a container, or undefined for none: a privileged
 * container, Unconfined, and no profile at all (containerd's default with no
 * unset_seccomp_profile configured) run without seccomp; RuntimeDefault gets
 * the built-in default for the container's capabilities; Localhost the JSON
 * file at localhost_ref on the node.
 */
export async function seccompProfileFor(securityContext: SeccompSecurityContext, options: SeccompOptions): Promise<OciSeccomp | undefined> {
  if (options.privileged) return undefined;
  const fromLegacy = securityContext.seccomp === null;
  const profile = securityContext.seccomp ?? parseLegacySeccompProfilePath(securityContext.seccompProfilePath);
  if (profile === null) return undefined;
  if (profile.profileType !== 'Localhost' && profile.localhostRef !== '') {
    throw new InvalidArgumentError(`${FIELD}.localhost_ref "${profile.localhostRef}" is only allowed with profile_type Localhost, not ${profile.profileType}`);
  }
  switch (profile.profileType) {
    case 'Unconfined':
      return undefined;
    case 'RuntimeDefault':
      return defaultSeccompProfile(options.capabilities, options);
    case 'Localhost': {
      const path = profile.localhostRef.startsWith(LOCALHOST_PREFIX) ? profile.localhostRef.slice(LOCALHOST_PREFIX.length) : profile.localhostRef;
      return loadSeccompProfile(path, fromLegacy ? LEGACY_FIELD : `${FIELD}.localhost_ref`);
    }
    default:
      throw new InvalidArgumentError(`${FIELD}.profile_type "${String(profile.profileType)}" is not one of RuntimeDefault, Unconfined, Localhost`);
  }
}

/** Sets or removes linux.seccomp. */
export function withSeccomp(spec: OciSpec, seccomp: OciSeccomp | undefined): void {
  const linux = (spec.linux ??= {});
  if (seccomp) linux.seccomp = seccomp;
  else delete linux.seccomp;
}

/** Reads a profile file from the node; `field` names the CRI field that named it. */
export async function loadSeccompProfile(path: string, field = `${FIELD}.localhost_ref`): Promise<OciSeccomp> {
  if (path === '' || !isAbsolute(path)) {
    throw new InvalidArgumentError(`${field} "${path}" must be the absolute path of a seccomp profile (JSON) on the node`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`${field}: cannot read seccomp profile "${path}" on the node: ${errorMessage(err)}`, { cause: err });
  }
  return parseSeccompProfile(text, path, field);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SyscallEntry = NonNullable<OciSeccomp['syscalls']>[number];
type ArgEntry = NonNullable<SyscallEntry['args']>[number];

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: Json | undefined): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

const ACTION = /^SCMP_ACT_[A-Z_]+$/;
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

/**
 * Parses a seccomp profile in the OCI format (defaultAction, architectures,
 * syscalls[].names/action/args), also accepting docker's profile format: its
 * archMap gives the architectures for this node, and a syscall's "name"
 * stands for "names". Docker's includes/excludes are not evaluated (as
 * containerd does not); such rules apply unconditionally.
 */
export function parseSeccompProfile(text: string, path: string, field = `${FIELD}.localhost_ref`): OciSeccomp {
  const bad = (what: string): InvalidArgumentError => new InvalidArgumentError(`${field}: seccomp profile "${path}" is not valid: ${what}`);
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (err) {
    throw bad(`not JSON (${errorMessage(err)})`);
  }
  if (!isObject(doc)) throw bad('the top level must be a JSON object');
  const defaultAction = doc.defaultAction;
  if (typeof defaultAction !== 'string' || !ACTION.test(defaultAction)) throw bad('"defaultAction" must be an action such as "SCMP_ACT_ERRNO"');
  const profile: OciSeccomp = { defaultAction };

  if (doc.defaultErrnoRet !== undefined && doc.defaultErrnoRet !== null) {
    if (typeof doc.defaultErrnoRet !== 'number' || !Number.isInteger(doc.defaultErrnoRet) || doc.defaultErrnoRet < 0) throw bad('"defaultErrnoRet" must be a non-negative integer');
    profile.defaultErrnoRet = doc.defaultErrnoRet;
  }

  if (doc.architectures !== undefined && doc.architectures !== null) {
    if (!isStringArray(doc.architectures)) throw bad('"architectures" must be a list of strings');
    profile.architectures = [...doc.architectures];
  } else if (Array.isArray(doc.archMap)) {
    const native = seccompArchitectures()[0];
    for (const entry of doc.archMap) {
      if (isObject(entry) && entry.architecture === native) {
        profile.architectures = [native, ...(isStringArray(entry.subArchitectures) ? entry.subArchitectures : [])];
      }
    }
  }

  if (doc.flags !== undefined && doc.flags !== null) {
    if (!isStringArray(doc.flags)) throw bad('"flags" must be a list of strings');
    profile.flags = [...doc.flags];
  }

  if (doc.syscalls !== undefined && doc.syscalls !== null) {
    if (!Array.isArray(doc.syscalls)) throw bad('"syscalls" must be a list');
    profile.syscalls = doc.syscalls.map((s, i): SyscallEntry => {
      const at = `syscalls[${i}]`;
      if (!isObject(s)) throw bad(`${at} must be an object`);
      const names = isStringArray(s.names) ? [...s.names] : typeof s.name === 'string' ? [s.name] : undefined;
      if (!names || names.length === 0) throw bad(`${at}.names must be a non-empty list of syscall names`);
      if (typeof s.action !== 'string' || !ACTION.test(s.action)) throw bad(`${at}.action must be an action such as "SCMP_ACT_ALLOW"`);
      const entry: SyscallEntry = { names, action: s.action };
      if (s.errnoRet !== undefined && s.errnoRet !== null) {
        if (typeof s.errnoRet !== 'number' || !Number.isInteger(s.errnoRet) || s.errnoRet < 0) throw bad(`${at}.errnoRet must be a non-negative integer`);
        entry.errnoRet = s.errnoRet;
      }
      if (s.args !== undefined && s.args !== null) {
        if (!Array.isArray(s.args)) throw bad(`${at}.args must be a list`);
        entry.args = s.args.map((a, j): ArgEntry => {
          const argAt = `${at}.args[${j}]`;
          if (!isObject(a)) throw bad(`${argAt} must be an object`);
          if (typeof a.index !== 'number' || !Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw bad(`${argAt}.index must be 0..5`);
          if (typeof a.value !== 'number' || a.value < 0) throw bad(`${argAt}.value must be a non-negative number`);
          if (typeof a.op !== 'string' || !OPS.has(a.op)) throw bad(`${argAt}.op must be one of ${[...OPS].join(', ')}`);
          const arg: ArgEntry = { index: a.index, value: a.value, op: a.op };
          if (a.valueTwo !== undefined && a.valueTwo !== null) {
            if (typeof a.valueTwo !== 'number' || a.valueTwo < 0) throw bad(`${argAt}.valueTwo must be a non-negative number`);
            arg.valueTwo = a.valueTwo;
          }
          return arg;
        });
      }
      return entry;
    });
  }
  return profile;
}
