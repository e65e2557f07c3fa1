import { errorMessage } from '../errors.js';
import { type CheckResult, type DoctorCheck, fail } from './check.js';

/** The check's results, or a fail naming it when it throws or outlives its timeout. */
async function runOne(check: DoctorCheck): Promise<CheckResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve(fail(check.name, `no answer within ${check.timeoutMs} ms`, 'run the check again; if it keeps hanging, what it probes is stuck')),
      check.timeoutMs,
    );
  });
  try {
    const result = await Promise.race([check.run(), timedOut]);
    return Array.isArray(result) ? result : [result];
  } catch (err) {
    return [fail(check.name, `the check itself failed: ${errorMessage(err)}`, 'report this as a cri-ts bug, with the detail above')];
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once; the results keep the checks' order. */
export async function runChecks(checks: readonly DoctorCheck[]): Promise<CheckResult[]> {
  return (await Promise.all(checks.map(runOne))).flat();
}
