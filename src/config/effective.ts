import { CAP_SYS_RESOURCE, hasEffectiveCapability } from '../host/capabilities.js';
import type { RestrictOomScoreAdj } from './config.js';

/**
 * Without CAP_SYS_RESOURCE no process may lower its oom_score_adj, and runc
 * fails every container that asks to; "auto" clamps in exactly that case.
 */
export function resolveRestrictOomScoreAdj(setting: RestrictOomScoreAdj, hasSysResource = hasEffectiveCapability(CAP_SYS_RESOURCE)): boolean {
  return setting === 'auto' ? !hasSysResource : setting;
}
