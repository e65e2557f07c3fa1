// Medians of critest -benchmark results: one line per operation, NAME MEDIAN ms
// (samples, parallelism), pooled over every OUTDIR given (critest-bench.sh runs).
//
//   node bench-medians.mjs OUTDIR [OUTDIR ...]
//
// critest (v1.36.0) writes pod_benchmark_data.json, container_benchmark_data.json,
// image_lifecycle_benchmark_data.json and image_listing_benchmark_data.json:
// {operationsNames, numParallel, datapoints: [{operationsDurationsNs: [one per
// operation]}]}. "start a container from scratch" is a gmeasure experiment found
// only in ginkgo's JSON report (report.json, ReportEntries).
import { existsSync, readFileSync } from 'node:fs';

const dirs = process.argv.slice(2);
const samples = new Map(); // name -> { ns: number[], parallel }
const add = (name, ns, parallel) => {
  const entry = samples.get(name) ?? { ns: [], parallel };
  entry.ns.push(...ns.filter((x) => x > 0));
  samples.set(name, entry);
};
for (const dir of dirs) {
  for (const f of ['pod', 'container', 'image_lifecycle', 'image_listing']) {
    const file = `${dir}/${f}_benchmark_data.json`;
    if (!existsSync(file)) {
      console.error(`${f}: no results (${file} missing)`);
      continue;
    }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    r.operationsNames.forEach((op, i) => add(op, r.datapoints.map((d) => d.operationsDurationsNs[i]), r.numParallel));
  }
  if (!existsSync(`${dir}/report.json`)) continue;
  for (const spec of JSON.parse(readFileSync(`${dir}/report.json`, 'utf8')).flatMap((r) => r.SpecReports ?? [])) {
    for (const e of spec.ReportEntries ?? []) {
      for (const m of JSON.parse(e.Value?.AsJSON ?? '{}').Measurements ?? []) {
        if (m.Durations?.length) add(m.Name === 'create PodSandbox and container' ? 'PodAndContainerStart' : m.Name.replace(/\s+/g, '_'), m.Durations, 1);
      }
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
for (const [name, { ns, parallel }] of samples) {
  if (ns.length === 0) continue;
  console.log(`${name.padEnd(24)} ${(median(ns) / 1e6).toFixed(1).padStart(8)} ms  (${ns.length} samples, ${parallel} in parallel)`);
}
