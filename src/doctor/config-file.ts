import { access } from 'node:fs/promises';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, type CriTsConfig } from '../config/config.js';
import { type CheckResult, fail, ok } from './check.js';

const NAME = 'config';

/** The config file loaded as `serve` loads it; without a valid one the other checks have nothing to check. */
export async function checkConfigFile(path: string | undefined): Promise<{ result: CheckResult; config?: CriTsConfig }> {
  const file = path ?? DEFAULT_CONFIG_PATH;
  try {
    const config = await loadConfig(path);
    const present = path !== undefined || (await access(file).then(() => true, () => false));
    return { config, result: ok(NAME, present ? `${file} is valid` : `no ${file}: every key at its default`) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { result: fail(NAME, err.message, `correct the file (cri-ts config default prints every key with its default); the other checks need a valid config`) };
  }
}
