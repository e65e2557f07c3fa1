import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { codeCacheDir, DEFAULT_CODE_CACHE_DIR, runBundle } from '../../../src/host/code-cache.js';

interface Exports {
  answer: number;
  joined: string;
  sum(n: number): number;
}

// A CommonJS bundle as esbuild writes one: it requires node's modules and sets module.exports.
const BUNDLE_SOURCE = `"use strict";
const { join } = require("node:path");
function sum(n) { let total = 0; for (let i = 1; i <= n; i++) total += i; return total; }
module.exports = { answer: 42, joined: join(__dirname, "x"), sum };
`;

describe('runBundle (V8 code cache)', () => {
  let dir: string;
  let cacheDir: string;
  let runs = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-code-cache-'));
    cacheDir = join(dir, 'cache');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Each run from a file of its own, as each start is a process of its own: V8 keeps what this
  // process compiled by source and file name, and would not look at the cache for a file it has seen.
  const run = (id: string, cache = cacheDir) => {
    const bundleDir = join(dir, `run-${++runs}`);
    mkdirSync(bundleDir);
    const path = join(bundleDir, 'bundle.cjs');
    writeFileSync(path, BUNDLE_SOURCE);
    return { ...runBundle<Exports>({ path, id, cacheDir: cache }), bundleDir };
  };

  it('runs the bundle as a CommonJS module, then runs it from the cache it saved', async () => {
    const first = run('build-a');
    assert.equal(first.codeCache.state, 'absent');
    assert.equal(first.exports.answer, 42);
    assert.equal(first.exports.joined, join(first.bundleDir, 'x'));
    assert.equal(first.exports.sum(10), 55);

    const bytes = await first.codeCache.save();
    assert.ok(bytes > 0);
    assert.equal((await stat(first.codeCache.file)).size, bytes);
    assert.deepEqual(await readdir(cacheDir), [first.codeCache.file.slice(cacheDir.length + 1)], 'no temporary file is left');

    const second = run('build-a');
    assert.equal(second.codeCache.state, 'used');
    assert.equal(second.exports.sum(10), 55);
  });

  it('compiles as usual when V8 refuses the cache, and a save replaces it', async () => {
    const broken = run('build-a').codeCache.file;
    await writeFile(broken, Buffer.alloc(4096, 7));
    const refused = run('build-a');
    assert.equal(refused.codeCache.state, 'rejected');
    assert.equal(refused.exports.sum(4), 10);
    await refused.codeCache.save();
    assert.equal(run('build-a').codeCache.state, 'used');
  });

  it('does not hand V8 a file whose payload was damaged after it was written', async () => {
    const saved = run('build-a');
    await saved.codeCache.save();
    const file = saved.codeCache.file;
    const bytes = await readFile(file);
    // One byte of the payload, past the digest and V8's own header, which V8 checks itself.
    bytes[bytes.length - 100] ^= 0xff;
    await writeFile(file, bytes);
    const damaged = run('build-a');
    assert.equal(damaged.codeCache.state, 'rejected');
    assert.equal(damaged.exports.sum(3), 6);
  });

  it('reads no cache of another build, and drops the other builds when it saves', async () => {
    const other = run('build-b');
    assert.equal(other.codeCache.state, 'absent');
    await other.codeCache.save();
    assert.deepEqual(await readdir(cacheDir), [other.codeCache.file.slice(cacheDir.length + 1)]);
  });

  it('is off without a cache directory: nothing is read or written', async () => {
    const off = run('build-c', '');
    assert.equal(off.codeCache.state, 'off');
    assert.equal(off.codeCache.file, '');
    assert.equal(await off.codeCache.save(), 0);
    assert.equal(off.exports.answer, 42);
  });

  it('takes its directory from CRI_TS_CODE_CACHE_DIR, empty for none', () => {
    assert.equal(codeCacheDir({}), DEFAULT_CODE_CACHE_DIR);
    assert.equal(codeCacheDir({ CRI_TS_CODE_CACHE_DIR: '/x' }), '/x');
    assert.equal(codeCacheDir({ CRI_TS_CODE_CACHE_DIR: '' }), '');
  });
});
