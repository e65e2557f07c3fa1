import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkOomScoreAdj, type ProcessFiles } from '../../../src/doctor/oom-score-adj.js';
import { scratchDir, writeTree } from './scratch.js';

/** A fake /proc/self: CapEff with or without bit 24 (CAP_SYS_RESOURCE). */
async function fakeProcess(withSysResource: boolean): Promise<ProcessFiles> {
  const dir = await scratchDir('oom');
  const capEff = withSysResource ? '000001ffffffffff' : '00000000a80425fb';
  await writeTree(dir, { status: `Name:\tnode\nCapEff:\t${capEff}\n`, oom_score_adj: '-500\n' });
  return { status: join(dir, 'status'), oomScoreAdj: join(dir, 'oom_score_adj') };
}

describe('doctor: CAP_SYS_RESOURCE and oom_score_adj', () => {
  it('is ok with the capability', async () => {
    assert.equal((await checkOomScoreAdj('auto', await fakeProcess(true))).status, 'ok');
  });

  it('warns without it when the clamp is on, naming the floor', async () => {
    const result = await checkOomScoreAdj('auto', await fakeProcess(false));
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /restrict_oom_score_adj = "auto" clamps .* \(-500 /);
  });

  it('fails without it when the clamp is off: runc would fail every container', async () => {
    const result = await checkOomScoreAdj(false, await fakeProcess(false));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /can't get final child's PID from pipe: EOF/);
    assert.match(result.fix ?? '', /restrict_oom_score_adj = "auto"/);
  });
});
