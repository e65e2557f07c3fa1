import { CriError, errorMessage, isCriError } from '../../errors.js';
import { RegistryHttpError } from '../registry/registry-client.js';

/** Why one registry endpoint did not resolve a reference. */
export interface EndpointFailure {
  host: string;
  err: unknown;
}

/**
 * The one error for a reference no endpoint resolved, chosen as containerd's
 * resolver chooses it: what a registry said outranks an endpoint that could
 * not be reached. So a tag a mirror does not have, with the registry itself
 * out of reach, is NotFound (kubelet then reports ErrImagePull for a missing
 * image, not a network fault); Unavailable is left for no endpoint answering.
 */
export function resolveFailure(name: string, failures: readonly EndpointFailure[]): CriError {
  const detail = failures.map((f) => (errorMessage(f.err).startsWith(f.host) ? errorMessage(f.err) : `${f.host}: ${errorMessage(f.err)}`)).join('; ');
  const errors = failures.map((f) => f.err);
  if (errors.some((e) => isCriError(e, 'Unauthenticated'))) return new CriError('Unauthenticated', `pulling ${name}: the registry refused the credentials (${detail})`);
  const invalid = errors.find((e): e is CriError => isCriError(e, 'InvalidArgument'));
  if (invalid) return invalid;
  // An error status other than 404 (a 500, say) says the registry has trouble, which "not found" would hide.
  if (errors.some((e) => e instanceof RegistryHttpError && e.status >= 400 && e.status !== 404)) {
    return new CriError('Unavailable', `pulling ${name}: a registry endpoint failed (${detail})`);
  }
  if (errors.some((e) => isCriError(e, 'NotFound'))) return new CriError('NotFound', `pulling ${name}: no such repository or tag (${detail})`);
  return new CriError('Unavailable', `pulling ${name}: no registry endpoint answered (${detail})`);
}
