import { FailedPreconditionError } from '../errors.js';
import type { ResolvedUser } from './container.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '')
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '')
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

export interface UserRequest {
  runAsUser?: number;
  runAsUsername?: string;
  runAsGroup?: number;
  /** The image config's User: "", "uid", "name", "uid:gid", "name:group". */
  imageUser: string;
  supplementalGroups: number[];
  /** Strict leaves out the groups the image's /etc/group gives the user. */
  strictGroups: boolean;
}

/**
 * The uid, gid and supplementary groups the container's process runs with,
 * by CRI's rules: the security context first, the image's USER otherwise,
 * names looked up in the image's /etc/passwd and /etc/group. The primary
 * group is listed among the supplementary ones, as `id -G` shows it.
 */
export function resolveUser(request: UserRequest, passwd: PasswdEntry[], groups: GroupEntry[]): ResolvedUser {
  const [imageUserPart = '', imageGroupPart] = request.imageUser.split(':');
  let uid: number;
  let name: string | undefined;
  let gid: number | undefined;
  const byName = (n: string, what: string): PasswdEntry => {
    const entry = passwd.find((p) => p.name === n);
    if (!entry) throw new FailedPreconditionError(`${what} "${n}" is not in the image's /etc/passwd; use a numeric uid or add the user to the image`);
    return entry;
  };
  if (request.runAsUser !== undefined) {
    uid = request.runAsUser;
  } else if (request.runAsUsername) {
    const entry = byName(request.runAsUsername, 'linux.security_context.run_as_username');
    uid = entry.uid;
    gid = entry.gid;
    name = entry.name;
  } else if (imageUserPart === '') {
    uid = 0;
  } else if (/^\d+$/.test(imageUserPart)) {
    uid = Number(imageUserPart);
  } else {
    const entry = byName(imageUserPart, 'the image user');
    uid = entry.uid;
    gid = entry.gid;
    name = entry.name;
  }
  const own = passwd.find((p) => p.uid === uid);
  name ??= own?.name;
  gid ??= own?.gid ?? 0;
  // The image's "user:group" names the group, unless the security context overrides the user.
  if (imageGroupPart !== undefined && request.runAsUser === undefined && !request.runAsUsername) {
    if (/^\d+$/.test(imageGroupPart)) gid = Number(imageGroupPart);
    else {
      const group = groups.find((g) => g.name === imageGroupPart);
      if (!group) throw new FailedPreconditionError(`the image group "${imageGroupPart}" is not in the image's /etc/group`);
      gid = group.gid;
    }
  }
  if (request.runAsGroup !== undefined) gid = request.runAsGroup;
  const fromImage = !request.strictGroups && name !== undefined ? groups.filter((g) => g.members.includes(name!)).map((g) => g.gid) : [];
  const additionalGids = [...new Set([gid, ...fromImage, ...request.supplementalGroups])];
  return { uid, gid, additionalGids };
}
