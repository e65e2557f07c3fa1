#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// The `cri-ts` command (dist/bin/cri-ts.mjs once bundled): runs the bundle of
// every other module (dist/bin/cri-ts.cjs) through V8's code cache.
import { fileURLToPath } from 'node:url';
import { codeCacheDir, runBundle } from '../host/code-cache.js';
import type { runCli } from './main.js';

/** The bundle's hash, set by scripts/bundle.mjs. */
declare const CRI_TS_BUNDLE_ID: string;

const bundle = runBundle<{ runCli: typeof runCli }>({
  path: fileURLToPath(new URL('./cri-ts.cjs', import.meta.url)),
  id: CRI_TS_BUNDLE_ID,
  cacheDir: codeCacheDir(process.env),
});
bundle.exports.runCli(process.argv.slice(2), bundle.codeCache);
