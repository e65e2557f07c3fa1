import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FaultStack, startFaultStack } from '../../harness/fault-stack.js';
import { soak } from '../../soak/soak-run.js';

/** The soak's short variant (test/soak/soak.ts is the 1000-cycle one): no leak, fds flat. */
const CYCLES = Number(process.env.CRI_TS_SOAK_CYCLES ?? 40);
const METRICS_ADDRESS = '127.0.0.1:19339';

describe(`soak, short: ${CYCLES} pod+container cycles`, () => {
  let stack: FaultStack;
  before(async () => {
    stack = await startFaultStack({ prefix: 'fsoak', managed: false, bridge: 'critsfs0', subnet: '10.220.0.0/16', extraToml: () => `[metrics]\naddress = "${METRICS_ADDRESS}"` });
  });
  after(async () => {
    await stack?.stop();
  });

  it('leaves nothing behind at any sample and keeps its fd count', async () => {
    const samples = await soak(stack, { cycles: CYCLES, sampleEvery: CYCLES / 4, parallel: 4, metricsAddress: METRICS_ADDRESS });
    for (const s of samples) console.log(`# cycles ${s.cycles}: rss ${s.rssMb} MB, heap ${s.heapUsedMb} MB, fds ${s.fds}`);
    assert.deepEqual(samples.filter((s) => s.leaks !== '').map((s) => `${s.cycles}: ${s.leaks}`), []);
    // The first cycles open what cri-ts keeps (containerd and registry connections, the FIFO pool): compare after them.
    const [, warm, ...rest] = samples;
    assert.ok(warm && rest.length > 0);
    assert.ok(rest.at(-1)!.fds <= warm.fds + 2, `fds ${warm.fds} after warm-up, ${rest.at(-1)!.fds} at the end`);
  });
});
