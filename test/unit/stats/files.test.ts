import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseKeyedValues, parseUint, readOptionalText } from '../../../src/stats/files.js';

describe('kernel file reading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file whole, larger ones than its buffer too, and undefined for a missing one', async () => {
    const big = Array.from({ length: 20_000 }, (_, i) => `key_${i} ${i}`).join('\n');
    assert.ok(big.length > 200_000);
    await writeFile(join(dir, 'big'), big);
    await writeFile(join(dir, 'small'), 'usage_usec 5\n');
    await writeFile(join(dir, 'empty'), '');
    assert.equal(await readOptionalText(join(dir, 'big')), big);
    assert.equal(await readOptionalText(join(dir, 'small')), 'usage_usec 5\n');
    assert.equal(await readOptionalText(join(dir, 'empty')), '');
    assert.equal(await readOptionalText(join(dir, 'missing')), undefined);
    assert.equal(await readOptionalText(join(dir, 'small', 'below-a-file')), undefined);
    await assert.rejects(readOptionalText(dir), /EISDIR/);
  });

  it('lets the event loop run while reading thousands of files', async () => {
    await writeFile(join(dir, 'f'), 'x\n');
    let turns = 0;
    let reading = true;
    const turn = (): void => {
      turns++;
      if (reading) setImmediate(turn);
    };
    setImmediate(turn);
    await Promise.all(Array.from({ length: 5000 }, () => readOptionalText(join(dir, 'f'))));
    reading = false;
    // Without slicing the reads all run in one go and the loop turns at most once.
    assert.ok(turns >= 3, `the event loop turned ${turns} times`);
  });
});

describe('value parsing', () => {
  it('takes decimal integers up to 2^64 and nothing else', () => {
    assert.equal(parseUint('42\n'), 42n);
    assert.equal(parseUint('18446744073709551615'), 18446744073709551615n);
    for (const text of ['max\n', '', '-1', '1.5', undefined]) assert.equal(parseUint(text), undefined);
  });

  it('reads "key value" lines, any blank between, and skips what does not parse', () => {
    const values = parseKeyedValues('usage_usec 10\nuser_usec\t6\n  system_usec   4  \nbroken\nmax max\n\nnr_periods 7');
    assert.deepEqual(Object.fromEntries(values), { usage_usec: 10n, user_usec: 6n, system_usec: 4n, nr_periods: 7n });
    assert.equal(parseKeyedValues(undefined).size, 0);
  });

  it('keeps only the wanted keys when told', () => {
    assert.deepEqual(Object.fromEntries(parseKeyedValues('a 1\nb 2\nc 3\n', new Set(['a', 'c']))), { a: 1n, c: 3n });
  });
});
