import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** For https: skip certificate verification (hosts.toml skip_verify). */
  skipVerify?: boolean;
  caFiles?: string[];
  /** Abandon the request when no byte moves for this long. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Readable;
}

const MAX_REDIRECTS = 10;

export class HttpStallError extends Error {
  override name = 'HttpStallError';
}

function requestOnce(req: HttpRequest, url: URL): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method: req.method,
      headers: req.headers,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(isHttps && req.skipVerify ? { rejectUnauthorized: false } : {}),
      ...(isHttps && req.caFiles && req.caFiles.length > 0 ? { ca: req.caFiles.map((f) => readFileSync(f)) } : {}),
    };
    const request = (isHttps ? https : http).request(url, options, (response) => {
      response.setTimeout(req.idleTimeoutMs, () =>
        response.destroy(new HttpStallError(`${url.host} sent no data for ${req.idleTimeoutMs} ms`)),
      );
      resolve(response);
    });
    request.setTimeout(req.idleTimeoutMs, () =>
      request.destroy(new HttpStallError(`${url.host} did not answer within ${req.idleTimeoutMs} ms`)),
    );
    request.once('error', reject);
    request.end(req.body);
  });
}

/**
 * One HTTP exchange with redirects followed. Credentials are not sent to a
 * redirect target on another host: blob downloads are often redirected to
 * object storage that would reject them.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  let url = new URL(req.url);
  const originalHost = url.host;
  let headers = { ...req.headers };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await requestOnce({ ...req, headers }, url);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && status !== 304 && location) {
      response.resume();
      url = new URL(location, url);
      if (url.host !== originalHost) {
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
      }
      continue;
    }
    return { status, url: url.toString(), headers: response.headers, body: response };
  }
  throw new Error(`too many redirects from ${req.url}`);
}

/** Reads a whole (small) response body, refusing more than `limit` bytes. */
export async function readBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new Error(`response body exceeds ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
