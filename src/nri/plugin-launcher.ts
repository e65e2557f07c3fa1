import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';

/** A plugin cri-ts started from plugin_path, connected over a socket pair (its fd 3). */
export interface LaunchedPlugin {
  idx: string;
  base: string;
  config: string;
  process: ChildProcess;
  socket: Duplex;
}

/** The executables in `dir` named IDX-NAME; others are skipped with a log line. None when `dir` does not exist. */
export async function discoverPlugins(dir: string, log: Logger): Promise<Array<{ idx: string; base: string; path: string }>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: Array<{ idx: string; base: string; path: string }> = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || (info.mode & 0o111) === 0) continue;
    const match = /^([0-9]{2})-(.+)$/.exec(name);
    if (!match) {
      log.warn({ path }, 'not starting NRI plugin: its file name must be IDX-NAME with a two-digit index, e.g. 10-logger');
      continue;
    }
    found.push({ idx: match[1]!, base: match[2]!, path });
  }
  return found;
}

/** A launched plugin's configuration: IDX-NAME.conf, else NAME.conf, else none. */
async function pluginConfig(configDir: string, idx: string, base: string): Promise<string> {
  for (const file of [`${idx}-${base}.conf`, `${base}.conf`]) {
    try {
      return await readFile(join(configDir, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return '';
}

/**
 * Starts a plugin the way NRI launches them: its fd 3 is one end of a unix
 * socket pair (NRI_PLUGIN_SOCKET=3), its name and index in the environment,
 * nothing else inherited. What it writes to stderr goes to our log.
 */
export async function launchPlugin(plugin: { idx: string; base: string; path: string }, configDir: string, log: Logger): Promise<LaunchedPlugin> {
  const config = await pluginConfig(configDir, plugin.idx, plugin.base);
  const child = spawn(plugin.path, [], {
    env: { NRI_PLUGIN_NAME: plugin.base, NRI_PLUGIN_IDX: plugin.idx, NRI_PLUGIN_SOCKET: '3' },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const name = `${plugin.idx}-${plugin.base}`;
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => log.debug({ plugin: name, line }, 'NRI plugin output'));
  return { ...plugin, config, process: child, socket: child.stdio[3] as Duplex };
}
