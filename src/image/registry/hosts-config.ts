import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import type { RegistryConfig } from '../../config/config.js';
import { InvalidArgumentError } from '../../errors.js';

export type HostCapability = 'pull' | 'resolve' | 'push';

/** One place to fetch from, in the order it should be tried. */
export interface RegistryEndpoint {
  /** Base URL of the registry API, ending in /v2 unless override_path is set. */
  apiBase: string;
  capabilities: ReadonlySet<HostCapability>;
  skipVerify: boolean;
  caFiles: string[];
  headers: Record<string, string>;
  /** Whether this is the registry itself rather than a mirror. */
  isUpstream: boolean;
}

const ALL_CAPABILITIES: readonly HostCapability[] = ['pull', 'resolve', 'push'];

/** docker.io's API lives on another host than its name. */
export function upstreamServer(registryHost: string): string {
  if (registryHost === 'docker.io') return 'https://registry-1.docker.io';
  // As docker and containerd do, loopback registries are spoken to in plain HTTP.
  const hostOnly = registryHost.replace(/:\d+$/, '');
  if (hostOnly === 'localhost' || /^127\./.test(hostOnly) || hostOnly === '[::1]') return `http://${registryHost}`;
  return `https://${registryHost}`;
}

function apiBase(url: string, overridePath: boolean): string {
  const trimmed = url.replace(/\/+$/, '');
  if (overridePath || trimmed.endsWith('/v2')) return trimmed;
  return `${trimmed}/v2`;
}

function upstreamEndpoint(registryHost: string, server = upstreamServer(registryHost)): RegistryEndpoint {
  return {
    apiBase: apiBase(server, false),
    capabilities: new Set(ALL_CAPABILITIES),
    skipVerify: false,
    caFiles: [],
    headers: {},
    isUpstream: true,
  };
}

function stringList(value: unknown, key: string, file: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new InvalidArgumentError(`${file}: \`${key}\` must be a string or an array of strings`);
}

function hostSettings(url: string, table: Record<string, unknown>, file: string, isUpstream: boolean): RegistryEndpoint {
  if (!/^https?:\/\/[^/]+/.test(url)) throw new InvalidArgumentError(`${file}: host "${url}" must be a URL starting with http:// or https://`);
  const capabilities = stringList(table.capabilities, `host."${url}".capabilities`, file);
  for (const c of capabilities) {
    if (!ALL_CAPABILITIES.includes(c as HostCapability)) {
      throw new InvalidArgumentError(`${file}: capability "${c}" of host "${url}" must be one of pull, resolve, push`);
    }
  }
  const headers: Record<string, string> = {};
  if (typeof table.header === 'object' && table.header !== null) {
    for (const [name, value] of Object.entries(table.header)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return {
    apiBase: apiBase(url, table.override_path === true),
    capabilities: new Set((capabilities.length > 0 ? capabilities : ALL_CAPABILITIES) as HostCapability[]),
    skipVerify: table.skip_verify === true,
    caFiles: stringList(table.ca, `host."${url}".ca`, file),
    headers,
    isUpstream,
  };
}

/** Parses one containerd-style hosts.toml for `registryHost`: its [host] entries in order, then `server`. */
export function parseHostsToml(text: string, registryHost: string, file: string): RegistryEndpoint[] {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidArgumentError(`${file}: not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  const endpoints: RegistryEndpoint[] = [];
  const hosts = (doc.host ?? {}) as Record<string, Record<string, unknown>>;
  for (const [url, table] of Object.entries(hosts)) endpoints.push(hostSettings(url, table, file, false));
  if (typeof doc.server === 'string') {
    endpoints.push(hostSettings(doc.server, doc, file, true));
  } else if (doc.server === undefined) {
    endpoints.push({ ...upstreamEndpoint(registryHost), ...(doc.skip_verify === true ? { skipVerify: true } : {}) });
  }
  return endpoints;
}

/**
 * The endpoints to try for `registryHost`, in order: from
 * config_path/HOST/hosts.toml (or config_path/_default/hosts.toml) when one
 * exists, else the simple mirrors table; the registry itself comes last.
 */
export async function resolveRegistryEndpoints(config: RegistryConfig, registryHost: string): Promise<RegistryEndpoint[]> {
  if (config.configPath) {
    for (const dir of [registryHost, '_default']) {
      const file = join(config.configPath, dir, 'hosts.toml');
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) return parseHostsToml(text, registryHost, file);
    }
  }
  const mirrors = config.mirrors[registryHost]?.endpoints ?? config.mirrors['*']?.endpoints ?? [];
  const endpoints = mirrors.map((url) => ({ ...upstreamEndpoint(registryHost, url), isUpstream: false }));
  const upstream = upstreamEndpoint(registryHost);
  if (!endpoints.some((e) => e.apiBase === upstream.apiBase)) endpoints.push(upstream);
  return endpoints;
}
