import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ok, warn } from '../../../src/doctor/check.js';
import { formatReport, hasFailure } from '../../../src/doctor/report.js';
import { runChecks } from '../../../src/doctor/run-checks.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('doctor: running checks', () => {
  it('runs checks at once and keeps their order', async () => {
    const started = Date.now();
    const results = await runChecks([
      { name: 'slow', timeoutMs: 2000, run: async () => (await sleep(300), ok('slow', 'done')) },
      { name: 'slower', timeoutMs: 2000, run: async () => (await sleep(300), [ok('slower', 'a'), warn('slower', 'b', 'fix b')]) },
    ]);
    assert.deepEqual(results.map((r) => `${r.name}:${r.detail}`), ['slow:done', 'slower:a', 'slower:b']);
    assert.ok(Date.now() - started < 550, `took ${Date.now() - started} ms: the checks did not run in parallel`);
  });

  it('turns a check that outlives its timeout into a fail naming it', async () => {
    const [result] = await runChecks([{ name: 'stuck', timeoutMs: 50, run: () => new Promise(() => undefined) }]);
    assert.equal(result?.status, 'fail');
    assert.equal(result?.name, 'stuck');
    assert.match(result?.detail ?? '', /no answer within 50 ms/);
  });

  it('turns a check that throws into a fail naming it', async () => {
    const [result] = await runChecks([{ name: 'broken', timeoutMs: 1000, run: () => Promise.reject(new Error('EACCES /proc/x')) }]);
    assert.equal(result?.status, 'fail');
    assert.match(result?.detail ?? '', /EACCES \/proc\/x/);
  });
});

describe('doctor: the report', () => {
  const results = [ok('config', 'valid'), warn('cgroups', 'v1', 'use v2'), { name: 'cni', status: 'fail' as const, detail: 'no config', fix: 'add one' }];

  it('prints one line per check, the fix under each warn and fail, and the counts', () => {
    assert.equal(
      formatReport(results),
      ['ok    config   valid', 'warn  cgroups  v1', '               fix: use v2', 'fail  cni      no config', '               fix: add one', '1 ok, 1 warn, 1 fail', ''].join('\n'),
    );
  });

  it('fails on a fail, not on a warn', () => {
    assert.equal(hasFailure(results), true);
    assert.equal(hasFailure(results.slice(0, 2)), false);
  });
});
