import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One plugin entry of a CNI network config list, kept as written. */
export interface CniPluginConfig {
  type: string;
  [key: string]: unknown;
}

/** A network config list, normalised from either a .conflist or a single-plugin .conf. */
export interface CniNetworkConfig {
  file: string;
  name: string;
  cniVersion: string;
  disableCheck: boolean;
  plugins: CniPluginConfig[];
  /** The document as read, for DEL after the file changed (cached with the result). */
  raw: Record<string, unknown>;
}

export class CniConfigError extends Error {
  override name = 'CniConfigError';
}

const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one config file's text; `file` is only used in messages. */
export function parseNetworkConfig(file: string, text: string): CniNetworkConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CniConfigError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new CniConfigError(`${file}: must hold a JSON object`);
  const isList = file.endsWith('.conflist') || Array.isArray(doc.plugins);
  const rawPlugins: unknown[] = isList ? (Array.isArray(doc.plugins) ? doc.plugins : []) : [doc];
  if (rawPlugins.length === 0) throw new CniConfigError(`${file}: "plugins" must list at least one plugin`);
  const plugins = rawPlugins.map((plugin, index) => {
    if (!isObject(plugin) || typeof plugin.type !== 'string' || plugin.type === '') {
      throw new CniConfigError(`${file}: plugin ${index} needs a "type" naming its binary`);
    }
    return plugin as CniPluginConfig;
  });
  if (typeof doc.name !== 'string' || doc.name === '') throw new CniConfigError(`${file}: needs a "name"`);
  const cniVersion = typeof doc.cniVersion === 'string' ? doc.cniVersion : '0.3.1';
  return {
    file,
    name: doc.name,
    cniVersion,
    disableCheck: doc.disableCheck === true,
    plugins,
    raw: doc,
  };
}

/**
 * Loads the lexically first `maxConfNum` network configs from `confDir`, as
 * kubelet users expect (maxConfNum 0 means all). Files that fail to parse are
 * skipped, like containerd does, but reported when nothing loads.
 */
export async function loadNetworkConfigs(confDir: string, maxConfNum: number): Promise<CniNetworkConfig[]> {
  let names: string[];
  try {
    names = await readdir(confDir);
  } catch (err) {
    throw new CniConfigError(`cannot read CNI config directory ${confDir}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const candidates = names.filter((n) => CONFIG_EXTENSIONS.some((ext) => n.endsWith(ext))).sort();
  const loaded: CniNetworkConfig[] = [];
  const problems: string[] = [];
  for (const name of candidates) {
    if (maxConfNum > 0 && loaded.length >= maxConfNum) break;
    const file = join(confDir, name);
    try {
      loaded.push(parseNetworkConfig(file, await readFile(file, 'utf8')));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (loaded.length === 0) {
    const why = problems.length > 0 ? `: ${problems.join('; ')}` : '';
    throw new CniConfigError(`no network config found in ${confDir}${why}`);
  }
  return loaded;
}
