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
