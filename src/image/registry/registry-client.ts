import { createHash } from 'node:crypto';
import { CriError } from '../../errors.js';
import { MANIFEST_ACCEPT } from '../manifest.js';
import { parseAuthChallenges } from './auth-challenge.js';
import type { RegistryEndpoint } from './hosts-config.js';
import { type HttpResponse, httpRequest, readBody } from './http.js';

/** Credentials as CRI's AuthConfig carries them; empty strings mean unset. */
export interface RegistryCredentials {
  username: string;
  password: string;
  /** An OAuth2 refresh token, exchanged for an access token. */
  identityToken: string;
  /** A bearer token sent to the registry as it is. */
  registryToken: string;
}

export const NO_CREDENTIALS: RegistryCredentials = { username: '', password: '', identityToken: '', registryToken: '' };

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The media type a manifest response names, without parameters ('' when none). */
function mediaTypeOf(response: HttpResponse): string {
  return (response.headers['content-type'] ?? '').split(';')[0]!.trim();
}

export class RegistryHttpError extends CriError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(status === 404 ? 'NotFound' : status === 401 || status === 403 ? 'Unauthenticated' : 'Unavailable', message);
  }
}

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Checks fetched bytes against the digest that named them. */
export function verifyDigest(data: Buffer, expected: string, what: string): void {
  if (!expected.startsWith('sha256:')) throw new CriError('FailedPrecondition', `${what}: unsupported digest algorithm in ${expected}`);
  const actual = sha256Digest(data);
  if (actual !== expected) throw new CriError('FailedPrecondition', `${what}: content digest ${actual} does not match ${expected}`);
}

/**
 * Talks the distribution API to one endpoint for one repository, answering
 * auth challenges (bearer token flow or basic) the first time one comes.
 */
export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly repository: string,
    private readonly credentials: RegistryCredentials,
    private readonly idleTimeoutMs: number,
    private readonly signal?: AbortSignal,
  ) {
    if (credentials.registryToken) this.authorization = `Bearer ${credentials.registryToken}`;
  }

  get host(): string {
    return new URL(this.endpoint.apiBase).host;
  }

  private async send(method: 'GET' | 'HEAD', url: string, accept?: string, extra: Record<string, string> = {}): Promise<HttpResponse> {
    return httpRequest({
      method,
      url,
      headers: {
        'user-agent': 'cri-ts',
        ...this.endpoint.headers,
        ...extra,
        ...(accept ? { accept } : {}),
        ...(this.authorization ? { authorization: this.authorization } : {}),
      },
      skipVerify: this.endpoint.skipVerify,
      caFiles: this.endpoint.caFiles,
      idleTimeoutMs: this.idleTimeoutMs,
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }

  /** GET or HEAD `path` under the API base, authenticating once if challenged. */
  async request(method: 'GET' | 'HEAD', path: string, accept?: string, extra: Record<string, string> = {}): Promise<HttpResponse> {
    const url = `${this.endpoint.apiBase}/${this.repository}/${path}`;
    let response = await this.send(method, url, accept, extra);
    if (response.status === 401) {
      const challenge = response.headers['www-authenticate'];
      response.body.resume();
      await this.authenticate(typeof challenge === 'string' ? challenge : '');
      response = await this.send(method, url, accept, extra);
    }
    if (response.status >= 400) {
      const detail = method === 'GET' ? (await readBody(response.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8').slice(0, 300) : '';
      if (method === 'HEAD') response.body.resume();
      throw new RegistryHttpError(response.status, `${this.host}: ${method} ${this.repository}/${path}: HTTP ${response.status}${detail ? `: ${detail.trim()}` : ''}`);
    }
    return response;
  }

  private basicAuth(): string | undefined {
    const { username, password } = this.credentials;
    return username || password ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined;
  }

  private async authenticate(header: string): Promise<void> {
    const challenges = parseAuthChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer && bearer.params.realm) {
      this.authorization = `Bearer ${await this.fetchToken(bearer.params.realm, bearer.params.service ?? '', bearer.params.scope)}`;
      return;
    }
    const basic = this.basicAuth();
    if (challenges.some((c) => c.scheme === 'basic') && basic) {
      this.authorization = basic;
      return;
    }
    throw new RegistryHttpError(401, `${this.host} requires authentication${basic ? ' the credentials given do not satisfy' : '; pass credentials in the pull request\'s auth config'}`);
  }

  private async fetchToken(realm: string, service: string, scope: string | undefined): Promise<string> {
    const wantScope = scope ?? `repository:${this.repository}:pull`;
    const url = new URL(realm);
    let response: HttpResponse;
    if (this.credentials.identityToken) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.credentials.identityToken,
        service,
        scope: wantScope,
        client_id: 'cri-ts',
      });
      response = await httpRequest({
        method: 'POST',
        url: url.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        idleTimeoutMs: this.idleTimeoutMs,
      });
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', wantScope);
      const basic = this.basicAuth();
      response = await httpRequest({
        method: 'GET',
        url: url.toString(),
        headers: basic ? { authorization: basic } : {},
        skipVerify: this.endpoint.skipVerify,
        caFiles: this.endpoint.caFiles,
        idleTimeoutMs: this.idleTimeoutMs,
      });
    }
    const body = await readBody(response.body, 1024 * 1024);
    if (response.status !== 200) {
      throw new RegistryHttpError(response.status === 404 ? 401 : response.status, `${url.host}: token request for ${wantScope} refused: HTTP ${response.status}`);
    }
    const parsed = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryHttpError(401, `${url.host}: token response carries no token`);
    return token;
  }

  /**
   * Asks which manifest a tag or digest names, without its body: a HEAD, which
   * Docker Hub does not count as a pull. Undefined when the registry leaves
   * out the digest or the media type.
   */
  async headManifest(tagOrDigest: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const response = await this.request('HEAD', `manifests/${tagOrDigest}`, MANIFEST_ACCEPT);
    response.body.resume();
    const digest = response.headers['docker-content-digest'];
    const mediaType = mediaTypeOf(response);
    const size = Number(response.headers['content-length'] ?? -1);
    return typeof digest === 'string' && digest.startsWith('sha256:') && mediaType !== '' && size >= 0 ? { digest, mediaType, size } : undefined;
  }

  /** Fetches a manifest; by digest, its bytes are verified against it. */
  async fetchManifest(tagOrDigest: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const response = await this.request('GET', `manifests/${tagOrDigest}`, MANIFEST_ACCEPT);
    const body = await readBody(response.body, MAX_MANIFEST_BYTES);
    const mediaType = mediaTypeOf(response);
    if (tagOrDigest.includes(':')) verifyDigest(body, tagOrDigest, `manifest ${this.repository}@${tagOrDigest}`);
    return { body, mediaType, digest: tagOrDigest.includes(':') ? tagOrDigest : sha256Digest(body) };
  }

  /**
   * Starts a blob download from `offset` (a Range request; a registry that
   * ignores it answers 200 from the start, status tells). The caller streams
   * it; containerd verifies the digest when the blob is committed.
   */
  async fetchBlob(digest: string, offset = 0): Promise<HttpResponse> {
    return this.request('GET', `blobs/${digest}`, undefined, offset > 0 ? { range: `bytes=${offset}-` } : {});
  }

  /** Fetches a small blob (an image config) whole and verifies it. */
  async fetchSmallBlob(digest: string, limit: number): Promise<Buffer> {
    const response = await this.fetchBlob(digest);
    const body = await readBody(response.body, limit);
    verifyDigest(body, digest, `blob ${this.repository}@${digest}`);
    return body;
  }
}
