// On-disk cache of network attachments, so DEL and CHECK see the config and
// result that ADD used even after the conf dir changed or cri-ts restarted
// (libcni keeps the same under /var/lib/cni/results). One JSON file per
// (pod id, network name, ifName), written atomically (tmp file + rename).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { parseCniResult } from './cni-result.js';
import { parseNetworkConfig, type CniNetworkConfig } from './network-config.js';
import type { CniArgs } from './plugin-exec.js';
import type { RuntimeCapabilityArgs } from './plugin-input.js';

export interface AttachmentKey {
  podId: string;
  network: string;
  ifName: string;
}

export interface CachedAttachment extends AttachmentKey {
  /** Position of the network in the pod's setUp (0 is the primary, eth0); DEL goes in reverse. */
  index: number;
  netnsPath: string;
  /** The network config list exactly as used for ADD. */
  config: CniNetworkConfig;
  /**
   * The final ADD result as the last plugin printed it; absent while ADD
   * runs (written before it, so an ADD cut short by a crash still gets its DEL).
   */
  result?: Record<string, unknown>;
  cniArgs: CniArgs;
  capabilityArgs: RuntimeCapabilityArgs;
  createdAt: string;
}

const FORMAT = 'cri-ts/cni-attachment/v1';

/** File-name-safe encoding that never produces '.', so '.' can separate the key's parts. */
function encodePart(part: string): string {
  return encodeURIComponent(part).replace(/[.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCniArgs(value: unknown): value is CniArgs {
  return Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
}

/** Validates a decoded cache file; throws an Error saying what is wrong. */
function decodeEntry(file: string, doc: unknown): CachedAttachment {
  if (!isObject(doc) || doc.format !== FORMAT) throw new Error(`${file}: not a ${FORMAT} file`);
  const { podId, network, ifName, index, netnsPath, config, result, cniArgs, capabilityArgs, createdAt } = doc;
  if (typeof podId !== 'string' || typeof network !== 'string' || typeof ifName !== 'string') throw new Error(`${file}: missing podId/network/ifName`);
  if (typeof index !== 'number' || typeof netnsPath !== 'string' || typeof createdAt !== 'string') throw new Error(`${file}: missing index/netnsPath/createdAt`);
  if (!isObject(config) || typeof config.file !== 'string' || !isObject(config.raw)) throw new Error(`${file}: missing the network config`);
  if (result !== undefined) {
    if (!isObject(result)) throw new Error(`${file}: the result must be an object`);
    parseCniResult(result);
  }
  if (!isCniArgs(cniArgs)) throw new Error(`${file}: cniArgs must be a list of [key, value] pairs`);
  if (!isObject(capabilityArgs)) throw new Error(`${file}: capabilityArgs must be an object`);
  // Rebuild the config from the document as read, which validates it again.
  const rebuilt = parseNetworkConfig(config.file, JSON.stringify(config.raw));
  return {
    podId,
    network,
    ifName,
    index,
    netnsPath,
    config: rebuilt,
    ...(result !== undefined ? { result } : {}),
    cniArgs,
    capabilityArgs: capabilityArgs as RuntimeCapabilityArgs,
    createdAt,
  };
}

export class ResultCache {
  readonly dir: string;
  private readonly log: Logger | undefined;

  constructor(dir: string, log?: Logger) {
    this.dir = dir;
    this.log = log;
  }

  /** `<dir>/<podId>.<network>.<ifName>.json`, each part encoded. */
  pathOf(key: AttachmentKey): string {
    return join(this.dir, `${encodePart(key.podId)}.${encodePart(key.network)}.${encodePart(key.ifName)}.json`);
  }

  /** Writes an entry atomically; `durable` also syncs it to disk (a pending entry need only survive a process crash). */
  async write(entry: CachedAttachment, durable = true): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.pathOf(entry);
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const body = `${JSON.stringify({ format: FORMAT, ...entry }, null, 2)}\n`;
    try {
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(body, 'utf8');
        if (durable) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** The entry for a key, or undefined when none (or it cannot be read). */
  async read(key: AttachmentKey): Promise<CachedAttachment | undefined> {
    return this.readFile(this.pathOf(key));
  }

  /** Removes one entry; a missing entry is fine. */
  async remove(key: AttachmentKey): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Every readable entry (for recovery after a restart); unreadable files are skipped with a warning. */
  async list(): Promise<CachedAttachment[]> {
    return this.readMatching(() => true);
  }

  /** The pods with any file here, readable or not, from the file names alone (no file is read). */
  async podIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const name of await this.names()) {
      try {
        ids.add(decodeURIComponent(name.slice(0, name.indexOf('.'))));
      } catch {
        // Not a name pathOf() writes: not a pod's.
      }
    }
    return ids;
  }

  /** A pod's entries, in setUp order. */
  async listPod(podId: string): Promise<CachedAttachment[]> {
    const prefix = `${encodePart(podId)}.`;
    return (await this.readMatching((name) => name.startsWith(prefix))).sort((a, b) => a.index - b.index);
  }

  /** Removes every file of a pod, unreadable ones included. */
  async removePod(podId: string): Promise<void> {
    const prefix = `${encodePart(podId)}.`;
    for (const name of await this.names()) {
      if (name.startsWith(prefix)) await rm(join(this.dir, name), { force: true });
    }
  }

  private async names(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => name.endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private async readMatching(match: (name: string) => boolean): Promise<CachedAttachment[]> {
    const entries: CachedAttachment[] = [];
    for (const name of await this.names()) {
      if (!match(name)) continue;
      const entry = await this.readFile(join(this.dir, name));
      if (entry) entries.push(entry);
    }
    return entries;
  }

  private async readFile(file: string): Promise<CachedAttachment | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return decodeEntry(file, JSON.parse(text));
    } catch (err) {
      this.log?.warn({ file, err: (err as Error).message }, 'skipping unreadable CNI result cache file');
      return undefined;
    }
  }
}
