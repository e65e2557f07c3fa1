// The functions a V8 CPU profile (node --cpu-prof) spent most time in: self
// time and total time (self plus callees) per function, top N of each.
//
//   node cpu-profile-top.mjs FILE.cpuprofile [N=25] [FILTER]
//
// FILTER keeps only samples whose stack passes through a function whose name
// or url contains it (e.g. "listPodSandbox"), to see one call's cost.
import { readFileSync } from 'node:fs';

const [file, countText, filter] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-top.mjs FILE.cpuprofile [N] [FILTER]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(countText ?? 25);
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

const deltas = profile.timeDeltas;
const self = new Map();
const total = new Map();
let kept = 0;
let all = 0;
profile.samples.forEach((id, i) => {
  const us = deltas[i + 1] ?? 0;
  all += us;
  const stack = [];
  for (let at = id; at !== undefined; at = parent.get(at)) stack.push(nodes.get(at));
  if (filter && !stack.some((n) => label(n).includes(filter))) return;
  kept += us;
  const leaf = label(stack[0]);
  self.set(leaf, (self.get(leaf) ?? 0) + us);
  for (const name of new Set(stack.map(label))) total.set(name, (total.get(name) ?? 0) + us);
});
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / kept).toFixed(1).padStart(5)}%  ${name}`);
  }
};
console.log(`${(all / 1000).toFixed(0)} ms sampled${filter ? `, ${(kept / 1000).toFixed(0)} ms under "${filter}"` : ''}`);
show('self time', self);
show('total time', total);
