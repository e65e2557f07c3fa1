import { InvalidArgumentError } from '../errors.js';

/** An environment variable as CRI carries it: bytes since cri-api v0.37, text in older configs and records. */
export interface EnvVar {
  key: string;
  value: Buffer | Uint8Array | string;
}

/** An environment variable whose value is known to be UTF-8 text. */
export interface TextEnvVar {
  key: string;
  value: string;
}

// fatal: refuse bad bytes instead of replacing them; ignoreBOM: keep a leading U+FEFF as it was sent.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The config's environment with every value as text. The OCI spec is JSON,
 * and containerd would replace bytes that are not UTF-8 with U+FFFD, so such
 * a value is refused rather than handed on altered.
 */
export function textEnvs(envs: readonly EnvVar[]): TextEnvVar[] {
  return envs.map(({ key, value }, index) => {
    if (typeof value === 'string') return { key, value };
    try {
      return { key, value: utf8.decode(value) };
    } catch {
      throw new InvalidArgumentError(
        `config.envs[${index}] (${key}): value is not valid UTF-8; the OCI runtime spec is JSON text, so it cannot carry these bytes unchanged`,
      );
    }
  });
}

/** The config's environment as the OCI spec lists it, "KEY=value". */
export function envStrings(envs: readonly EnvVar[]): string[] {
  return textEnvs(envs).map(({ key, value }) => `${key}=${value}`);
}
