import { InvalidArgumentError } from '../errors.js';

/** A security profile as CRI's SecurityProfile message gives it. */
export interface SecurityProfileRef {
  profileType: string;
  localhostRef: string;
}

export const LOCALHOST_PREFIX = 'localhost/';

/**
 * The deprecated string form of a seccomp or AppArmor profile: "" is unset
 * (null), "runtime/default" and "docker/default" the default, "unconfined"
 * none, "localhost/<ref>" one on the node.
 */
export function parseLegacyProfile(value: string, what: { field: string; kind: string; localhost: string }): SecurityProfileRef | null {
  switch (value) {
    case '':
      return null;
    case 'runtime/default':
    case 'docker/default':
      return { profileType: 'RuntimeDefault', localhostRef: '' };
    case 'unconfined':
      return { profileType: 'Unconfined', localhostRef: '' };
    default:
      if (!value.startsWith(LOCALHOST_PREFIX)) {
        throw new InvalidArgumentError(`${what.field} "${value}" is not ${what.kind}: use "runtime/default", "unconfined" or "localhost/<${what.localhost}>"`);
      }
      return { profileType: 'Localhost', localhostRef: value.slice(LOCALHOST_PREFIX.length) };
  }
}
