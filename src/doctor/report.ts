import type { CheckResult, CheckStatus } from './check.js';

const ANSI: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '31' };

/** One line per result (status, name, detail), and under a warn or fail the fix. */
export function formatReport(results: readonly CheckResult[], colour = false): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => {
    const status = r.status.padEnd(4);
    const line = `${colour ? `\u001b[${ANSI[r.status]}m${status}\u001b[0m` : status}  ${r.name.padEnd(width)}  ${r.detail}`;
    return r.fix && r.status !== 'ok' ? [line, `${' '.repeat(6 + width + 2)}fix: ${r.fix}`] : [line];
  });
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  lines.push(`${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`);
  return `${lines.join('\n')}\n`;
}

export function hasFailure(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === 'fail');
}
