// The soak, run by hand (not in CI; test/integration/faults/soak-short.test.ts is its short variant):
//   npm run build && node dist/test/soak/soak.js [--cycles 1000] [--every 100] [--parallel 4] [--warmup 100]
// Prints a sample line every --every cycles and a JSON summary; exits 1 when
// RSS, V8 heap or fds grew more than 10 % after the warm-up, or anything leaked.
import { parseArgs } from 'node:util';
import { startFaultStack } from '../harness/fault-stack.js';
import { inspectorUrlFromLog } from './inspector-gc.js';
import { growthAfterWarmup, type SoakSample, soak } from './soak-run.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '1000' },
    every: { type: 'string', default: '100' },
    parallel: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '100' },
    'metrics-port': { type: 'string', default: '19338' },
  },
});
const metricsAddress = `127.0.0.1:${values['metrics-port']}`;
const warmup = Number(values.warmup);
// cri-ts's inspector on a free loopback port: the soak reads the heap after a full GC through it.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim();
const stack = await startFaultStack({
  prefix: 'soak',
  managed: false,
  bridge: 'critssk0',
  subnet: '10.221.0.0/16',
  extraToml: () => `[metrics]\naddress = "${metricsAddress}"`,
});
delete process.env.NODE_OPTIONS;
let samples: SoakSample[] = [];
let exitCode = 0;
// Interrupted: the stack (containerd, cri-ts, pods) is still taken down.
process.once('SIGINT', () => void stack.stop().finally(() => process.exit(130)));
try {
  const inspectorUrl = await inspectorUrlFromLog(stack.criTs.logPath);
  console.log(`soak: ${values.cycles} cycles, ${values.parallel} at a time, cri-ts pid ${stack.criTs.pid}, dir ${stack.dir}`);
  const started = Date.now();
  samples = await soak(stack, {
    cycles: Number(values.cycles),
    sampleEvery: Number(values.every),
    parallel: Number(values.parallel),
    metricsAddress,
    ...(inspectorUrl ? { inspectorUrl } : {}),
    onSample: (s) =>
      console.log(`cycles ${String(s.cycles).padStart(5)}  rss ${s.rssMb} MB  heap ${s.heapUsedMb} MB  heap after GC ${s.heapAfterGcMb} MB  fds ${s.fds}  leaks ${s.leaks === '' ? 'none' : s.leaks.replace(/\n/g, '; ')}  (${Math.round((Date.now() - started) / 1000)} s)`),
  });
  const growth = {
    rss: growthAfterWarmup(samples, 'rssMb', warmup),
    // The heap after a full GC where the inspector answered; the sampled heap (garbage included) otherwise.
    heap: growthAfterWarmup(samples, inspectorUrl ? 'heapAfterGcMb' : 'heapUsedMb', warmup),
    fds: growthAfterWarmup(samples, 'fds', warmup),
  };
  const leaked = samples.filter((s) => s.leaks !== '');
  console.log(JSON.stringify({ growthAfterWarmup: growth, leakedSamples: leaked.length, samples: samples.map(({ leakCounts: _, ...s }) => s) }, null, 2));
  if (Object.values(growth).some((g) => g > 0.1) || leaked.length > 0) exitCode = 1;
} catch (err) {
  console.error(err);
  exitCode = 2;
} finally {
  await stack.stop();
}
process.exit(exitCode);
