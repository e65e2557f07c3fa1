// Typed CNI results (spec 0.3.x, 0.4.0 and 1.x; 0.1.0/0.2.0 results are
// converted) and the pod-IP selection the CRI reports.
import { isIP, isIPv4 } from 'node:net';

export interface CniInterface {
  name: string;
  mac?: string;
  /** Path of the netns the interface lives in; unset for host-side interfaces. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR notation, e.g. "10.77.0.5/16". */
  address: string;
  gateway?: string;
  /** Index into CniResult.interfaces. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: CniDns;
}

export class CniResultError extends Error {
  override name = 'CniResultError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new CniResultError(`${where}.${key} must be a string`);
  return value;
}

function optionalNumber(obj: Record<string, unknown>, key: string, where: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new CniResultError(`${where}.${key} must be an integer`);
  return value;
}

function optionalStrings(obj: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new CniResultError(`${where}.${key} must be a list of strings`);
  }
  return value;
}

function list(obj: Record<string, unknown>, key: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new CniResultError(`${key} must be a list`);
  return value;
}

function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return false;
  const prefix = Number(value.slice(slash + 1));
  const family = isIP(value.slice(0, slash));
  return family !== 0 && Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128);
}

function parseRoute(raw: unknown, where: string): CniRoute {
  if (!isObject(raw)) throw new CniResultError(`${where} must be an object`);
  const dst = optionalString(raw, 'dst', where);
  if (dst === undefined || !isCidr(dst)) throw new CniResultError(`${where}.dst must be a CIDR, got ${JSON.stringify(raw.dst)}`);
  const route: CniRoute = { dst };
  const gw = optionalString(raw, 'gw', where);
  if (gw !== undefined) route.gw = gw;
  for (const key of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const n = optionalNumber(raw, key, where);
    if (n !== undefined) route[key] = n;
  }
  return route;
}

function parseDns(raw: unknown): CniDns {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw new CniResultError('dns must be an object');
  const dns: CniDns = {};
  const nameservers = optionalStrings(raw, 'nameservers', 'dns');
  const domain = optionalString(raw, 'domain', 'dns');
  const search = optionalStrings(raw, 'search', 'dns');
  const options = optionalStrings(raw, 'options', 'dns');
  if (nameservers) dns.nameservers = nameservers;
  if (domain !== undefined) dns.domain = domain;
  if (search) dns.search = search;
  if (options) dns.options = options;
  return dns;
}

/** 0.1.0 / 0.2.0 results: { ip4: {ip, gateway, routes}, ip6: {...}, dns }. */
function parseLegacyResult(doc: Record<string, unknown>, cniVersion: string): CniResult {
  const ips: CniIpConfig[] = [];
  const routes: CniRoute[] = [];
  for (const key of ['ip4', 'ip6']) {
    const block = doc[key];
    if (block === undefined || block === null) continue;
    if (!isObject(block)) throw new CniResultError(`${key} must be an object`);
    const address = optionalString(block, 'ip', key);
    if (address === undefined || !isCidr(address)) throw new CniResultError(`${key}.ip must be a CIDR`);
    const ip: CniIpConfig = { address };
    const gateway = optionalString(block, 'gateway', key);
    if (gateway !== undefined) ip.gateway = gateway;
    ips.push(ip);
    list(block, 'routes').forEach((r, i) => routes.push(parseRoute(r, `${key}.routes[${i}]`)));
  }
  return { cniVersion, interfaces: [], ips, routes, dns: parseDns(doc.dns) };
}

/**
 * Parses a plugin's ADD result (already JSON-decoded). Throws CniResultError
 * saying which field is wrong; callers add the plugin's name.
 */
export function parseCniResult(raw: unknown): CniResult {
  if (!isObject(raw)) throw new CniResultError('result must be a JSON object');
  const cniVersion = typeof raw.cniVersion === 'string' && raw.cniVersion !== '' ? raw.cniVersion : '0.1.0';
  if (/^0\.[12]\./.test(cniVersion)) return parseLegacyResult(raw, cniVersion);

  const interfaces = list(raw, 'interfaces').map((entry, i): CniInterface => {
    const where = `interfaces[${i}]`;
    if (!isObject(entry)) throw new CniResultError(`${where} must be an object`);
    const name = optionalString(entry, 'name', where);
    if (name === undefined) throw new CniResultError(`${where}.name is required`);
    const iface: CniInterface = { name };
    const mac = optionalString(entry, 'mac', where);
    const sandbox = optionalString(entry, 'sandbox', where);
    if (mac !== undefined) iface.mac = mac;
    if (sandbox !== undefined) iface.sandbox = sandbox;
    return iface;
  });

  const ips = list(raw, 'ips').map((entry, i): CniIpConfig => {
    const where = `ips[${i}]`;
    if (!isObject(entry)) throw new CniResultError(`${where} must be an object`);
    const address = optionalString(entry, 'address', where);
    if (address === undefined || !isCidr(address)) {
      throw new CniResultError(`${where}.address must be a CIDR such as 10.0.0.5/24, got ${JSON.stringify(entry.address)}`);
    }
    const ip: CniIpConfig = { address };
    const gateway = optionalString(entry, 'gateway', where);
    if (gateway !== undefined) ip.gateway = gateway;
    const index = optionalNumber(entry, 'interface', where);
    if (index !== undefined) {
      if (index < 0 || index >= interfaces.length) {
        throw new CniResultError(`${where}.interface ${index} is not an index into interfaces (${interfaces.length} listed)`);
      }
      ip.interface = index;
    }
    return ip;
  });

  const routes = list(raw, 'routes').map((r, i) => parseRoute(r, `routes[${i}]`));
  return { cniVersion, interfaces, ips, routes, dns: parseDns(raw.dns) };
}

/** "10.77.0.5/16" -> "10.77.0.5". */
export function addressOf(cidr: string): string {
  const slash = cidr.lastIndexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/**
 * The pod's IPs on `ifName` inside the netns: the addresses (without prefix)
 * whose interface index points at an interface named `ifName` with a sandbox
 * set, IPv4 first, then IPv6, otherwise in result order. When no IP carries an
 * interface index (0.2.0 results, some plugins), all IPs count.
 */
export function podIps(result: CniResult, ifName: string): string[] {
  const indexed = result.ips.some((ip) => ip.interface !== undefined);
  const selected = indexed
    ? result.ips.filter((ip) => {
        if (ip.interface === undefined) return false;
        const iface = result.interfaces[ip.interface];
        return iface !== undefined && iface.name === ifName && iface.sandbox !== undefined && iface.sandbox !== '';
      })
    : result.ips;
  const addresses = [...new Set(selected.map((ip) => addressOf(ip.address)))];
  return [...addresses.filter((a) => isIPv4(a)), ...addresses.filter((a) => !isIPv4(a))];
}
