/** What a daemon and the processes it started cost, read from /proc. */
import { readdir, readFile } from 'node:fs/promises';

/** pid -> parent pid of every process now. */
async function parentsOfAll(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (stat) parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  return parents;
}

/** `pid` and every process below it. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = await parentsOfAll();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** VmRSS of one process in bytes; 0 when it is gone. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : 0;
}

/** RSS of `pid` and its descendants, with each process's share. */
export async function treeRss(pid: number): Promise<{ total: number; each: Array<{ pid: number; rss: number }> }> {
  const each = await Promise.all((await processTree(pid)).map(async (p) => ({ pid: p, rss: await rssBytes(p) })));
  return { total: each.reduce((sum, p) => sum + p.rss, 0), each };
}

/** utime + stime of a process in ms (clock ticks of 10 ms). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Busy and total jiffies of all CPUs since boot (the first line of /proc/stat). */
async function cpuJiffies(): Promise<{ busy: number; total: number }> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  // idle and iowait are the 4th and 5th fields.
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Waits until the host's CPUs were busy less than `busyFraction` of a
 * `windowMs` window (or `timeoutMs` passed), and says how long that took: a
 * timed step started while the other runtime still works off its own restart
 * would measure that work too.
 */
export async function waitForQuietCpu(busyFraction = 0.2, windowMs = 500, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  let before = await cpuJiffies();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = await cpuJiffies();
    const total = now.total - before.total;
    if ((total > 0 && (now.busy - before.busy) / total < busyFraction) || performance.now() - started > timeoutMs) return performance.now() - started;
    before = now;
  }
}
