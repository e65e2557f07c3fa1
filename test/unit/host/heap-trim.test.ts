import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { pino } from 'pino';
import { startHeapTrim } from '../../../src/host/heap-trim.js';

describe('startHeapTrim', () => {
  it('runs a full GC once the heap has grown well past its live size, giving back what a burst left', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const stop = startHeapTrim(log, 50);
    try {
      let burst: Array<{ n: number; s: string }> | undefined = Array.from({ length: 400_000 }, (_, n) => ({ n, s: `item ${n}` }));
      assert.equal(burst.length, 400_000);
      const grown = getHeapStatistics().total_heap_size;
      burst = undefined;
      for (let i = 0; i < 40 && !lines.some((l) => l.includes('heap trimmed')); i++) await new Promise((r) => setTimeout(r, 50));
      const trimmed = lines.find((l) => l.includes('heap trimmed'));
      assert.ok(trimmed, 'a trim ran');
      const after = getHeapStatistics().total_heap_size;
      assert.ok(after < grown * 0.8, `heap ${grown} -> ${after} bytes`);
      // With nothing allocated since, the heap is within the slack: no further full GC.
      const trims = lines.filter((l) => l.includes('heap trimmed')).length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(lines.filter((l) => l.includes('heap trimmed')).length, trims, 'no trim while the heap has not grown');
    } finally {
      stop();
    }
  });

  it('compacts: pages that kept a few survivors of a burst are given back too', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    // Old space only: the new space's size depends on the test runner's flags, not on the trim.
    const oldSpace = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_size ?? 0;
    let burst: Array<{ n: number; s: string; a: number[] }> | undefined = Array.from({ length: 200_000 }, (_, n) => ({ n, s: `item ${n}`, a: [n, n + 1] }));
    // One object in 50 outlives the burst, spread over every page the burst filled.
    const survivors = burst.filter((_, n) => n % 50 === 0);
    burst = undefined;
    const grown = oldSpace();
    const stop = startHeapTrim(log, 50);
    try {
      for (let i = 0; i < 40 && !lines.some((l) => l.includes('heap trimmed')); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(lines.some((l) => l.includes('heap trimmed')), 'a trim ran');
      const after = oldSpace();
      assert.equal(survivors.length, 4000);
      // Without compaction the old space keeps nearly every page the burst filled.
      assert.ok(after < grown * 0.5, `old space ${grown} -> ${after} bytes`);
    } finally {
      stop();
    }
  });

  it('gives back what was live at the last trim once it is garbage, though the heap did not grow since', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const trims = (): number => lines.filter((l) => l.includes('heap trimmed')).length;
    const waitForTrim = async (count: number): Promise<void> => {
      for (let i = 0; i < 40 && trims() < count; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(trims(), count, `trim ${count} ran`);
    };
    let load: Array<{ n: number; s: string }> | undefined = Array.from({ length: 400_000 }, (_, n) => ({ n, s: `item ${n}` }));
    const stop = startHeapTrim(log, 50);
    try {
      // The first check collects with the load still held: what it finds live is the load.
      await waitForTrim(1);
      assert.equal(load.length, 400_000);
      const underLoad = getHeapStatistics().used_heap_size;
      // The load is let go, and a little more is allocated, as removing pods does.
      load = undefined;
      const removal = Array.from({ length: 50_000 }, (_, n) => `removed ${n}`);
      assert.equal(removal.length, 50_000);
      await waitForTrim(2);
      const after = getHeapStatistics().used_heap_size;
      assert.ok(after < underLoad * 0.6, `heap in use ${underLoad} -> ${after} bytes`);
    } finally {
      stop();
    }
  });
});
