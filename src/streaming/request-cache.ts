import { randomBytes } from 'node:crypto';
import { CriError } from '../errors.js';
import type { StreamingRequest } from './types.js';

/** 16 random bytes: 128 bits, base64url without padding (22 characters). */
const TOKEN_BYTES = 16;

interface Entry {
  request: StreamingRequest;
  expiresAt: number;
}

/**
 * Single-use tokens for streaming requests, as kubelet's request cache: an
 * Exec/Attach/PortForward RPC stores its request and returns a URL holding the
 * token; the first connection to that URL takes the request out. Entries expire
 * after `ttlMs`. When `maxEntries` unexpired requests wait, insert throws
 * ResourceExhausted (kubelet's "too many in-flight requests") rather than
 * dropping a token a client may be about to use.
 */
export class StreamingRequestCache {
  // Map keeps insertion order, which is also expiry order (one ttl for all).
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  insert(request: StreamingRequest): string {
    this.evictExpired();
    if (this.entries.size >= this.maxEntries) {
      throw new CriError('ResourceExhausted', `maximum number of in-flight streaming requests (${this.maxEntries}) exceeded`);
    }
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.entries.set(token, { request, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** The request for `token`, once; undefined if unknown, already used or expired. */
  consume(token: string): StreamingRequest | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    return entry.expiresAt > this.now() ? entry.request : undefined;
  }

  get size(): number {
    this.evictExpired();
    return this.entries.size;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [token, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(token);
    }
  }
}
