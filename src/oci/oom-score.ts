import { readFileSync } from 'node:fs';
import type { OciSpec } from './oci-types.js';

let ownScore: number | undefined;

/** cri-ts's own oom_score_adj: the floor when restrict_oom_score_adj is on. */
export function ownOomScoreAdj(): number {
  ownScore ??= Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  return ownScore;
}

/**
 * Without CAP_SYS_RESOURCE a process cannot lower oom_score_adj, and runc
 * then fails the start; restrict clamps the value to no lower than ours.
 */
export function clampOomScoreAdj(value: number, restrict: boolean, floor = ownOomScoreAdj()): number {
  return restrict && value < floor ? floor : value;
}

export function withOomScoreAdj(spec: OciSpec, value: number, restrict: boolean): void {
  if (spec.process) spec.process.oomScoreAdj = clampOomScoreAdj(value, restrict);
}
