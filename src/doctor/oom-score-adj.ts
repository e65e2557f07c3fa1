import { readFile } from 'node:fs/promises';
import type { RestrictOomScoreAdj } from '../config/config.js';
import { resolveRestrictOomScoreAdj } from '../config/effective.js';
import { CAP_SYS_RESOURCE, hasEffectiveCapability } from '../host/capabilities.js';
import { type CheckResult, fail, ok, warn } from './check.js';

const NAME = 'oom_score_adj';

export interface ProcessFiles {
  /** /proc/self/status: the capability sets. */
  status: string;
  /** /proc/self/oom_score_adj: the floor a clamp would hold containers to. */
  oomScoreAdj: string;
}

export const SELF_PROCESS_FILES: ProcessFiles = { status: '/proc/self/status', oomScoreAdj: '/proc/self/oom_score_adj' };

/**
 * Without CAP_SYS_RESOURCE no process may lower an oom_score_adj, and runc
 * fails every container that asks to; restrict_oom_score_adj clamps instead.
 */
export async function checkOomScoreAdj(setting: RestrictOomScoreAdj, files: ProcessFiles = SELF_PROCESS_FILES): Promise<CheckResult> {
  const [status, own] = await Promise.all([readFile(files.status, 'utf8'), readFile(files.oomScoreAdj, 'utf8')]);
  if (hasEffectiveCapability(CAP_SYS_RESOURCE, status)) return ok(NAME, `CAP_SYS_RESOURCE held: containers get the oom_score_adj kubelet asks for`);
  const floor = own.trim();
  if (resolveRestrictOomScoreAdj(setting, false)) {
    return warn(
      NAME,
      `CAP_SYS_RESOURCE missing; restrict_oom_score_adj = ${JSON.stringify(setting)} clamps containers' oom_score_adj to no lower than cri-ts's own (${floor} for a process started as this one)`,
      'nothing breaks, but critical pods are no better protected from the OOM killer than cri-ts; grant CAP_SYS_RESOURCE (run cri-ts as root outside a restricted container) to lift the clamp',
    );
  }
  return fail(
    NAME,
    'CAP_SYS_RESOURCE missing and restrict_oom_score_adj = false: runc fails every container that lowers its oom_score_adj ("can\'t get final child\'s PID from pipe: EOF")',
    'set restrict_oom_score_adj = "auto" (or true), or grant cri-ts CAP_SYS_RESOURCE',
  );
}
