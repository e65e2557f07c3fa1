import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Compiled modules live in dist/src/, two levels below the package root.
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
export const apiDir = `${packageRoot}api`;
export const defaultConfigFile = `${packageRoot}config/config.toml`;

export const packageVersion: string = (
  JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string }
).version;
