import type { AuthConfig__Output } from '../../generated/cri/runtime/v1/AuthConfig.js';
import type { PullImageRequest__Output } from '../../generated/cri/runtime/v1/PullImageRequest.js';
import type { PullImageResponse } from '../../generated/cri/runtime/v1/PullImageResponse.js';
import { InvalidArgumentError } from '../../errors.js';
import { parseImageReference } from '../../image/reference.js';
import { NO_CREDENTIALS, type RegistryCredentials } from '../../image/registry/registry-client.js';
import type { ServerContext } from '../context.js';

/** CRI's AuthConfig; `auth` is base64 "user:password" as in docker's config.json. */
export function credentialsFrom(auth: AuthConfig__Output | null): RegistryCredentials {
  if (!auth) return NO_CREDENTIALS;
  let { username, password } = auth;
  if (auth.auth && !username && !password) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new InvalidArgumentError('auth.auth must be base64 of "username:password"');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return { username, password, identityToken: auth.identityToken, registryToken: auth.registryToken };
}

export async function pullImage(ctx: ServerContext, request: PullImageRequest__Output): Promise<PullImageResponse> {
  const text = request.image?.image ?? '';
  if (text === '') throw new InvalidArgumentError('image.image is empty; name the image to pull, e.g. "busybox:1.36"');
  const ref = parseImageReference(text);
  const pulled = await ctx.puller.pull(ref, credentialsFrom(request.auth));
  return { imageRef: pulled.imageId };
}
