/** ok: fine; warn: works, but know this; fail: cri-ts or kubelet will not work as configured. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report. `fix` says what to do, for warn and fail. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** A check of the node, run in parallel with the others, given up after `timeoutMs`. */
export interface DoctorCheck {
  name: string;
  timeoutMs: number;
  run(): Promise<CheckResult | CheckResult[]>;
}

export function ok(name: string, detail: string): CheckResult {
  return { name, status: 'ok', detail };
}

export function warn(name: string, detail: string, fix: string): CheckResult {
  return { name, status: 'warn', detail, fix };
}

export function fail(name: string, detail: string, fix: string): CheckResult {
  return { name, status: 'fail', detail, fix };
}
