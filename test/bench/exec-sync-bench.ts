/**
 * ExecSync latency against any CRI endpoint: runs a pod and a busybox
 * container, then N sequential `ExecSync echo` calls, and prints the median
 * and p90 in ms. Run it against cri-ts and containerd's CRI in one session and
 * compare the medians as a ratio.
 *
 *   node dist/test/bench/exec-sync-bench.js SOCKET [N]
 *
 * The endpoint must be able to pull BUSYBOX_IMAGE and its sandbox image
 * (test/critest/build-images.sh's registry on 127.0.0.1:5000).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criClient } from '../harness/cri-client.js';
import { BUSYBOX_IMAGE } from '../harness/offline-images.js';

async function main(): Promise<void> {
  const [socket, countText] = process.argv.slice(2);
  if (!socket) throw new Error('usage: exec-sync-bench.js SOCKET [N]');
  const count = Number(countText ?? 200);
  const cri = criClient(socket);
  const logDir = await mkdtemp(join(tmpdir(), 'exec-bench-'));
  const podConfig = { metadata: { name: 'exec-bench', namespace: 'bench', uid: `bench-${process.pid}`, attempt: 0 }, logDirectory: logDir, linux: {} };
  await cri.images.PullImage({ image: { image: BUSYBOX_IMAGE } });
  const { podSandboxId } = await cri.runtime.RunPodSandbox({ config: podConfig });
  try {
    const { containerId } = await cri.runtime.CreateContainer({
      podSandboxId,
      config: { metadata: { name: 'bench' }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '3600'], logPath: 'bench.log', linux: {} },
      sandboxConfig: podConfig,
    });
    await cri.runtime.StartContainer({ containerId });
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      const result = await cri.runtime.ExecSync({ containerId, cmd: ['echo', String(i)], timeout: 30 });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.stdout.toString() !== `${i}\n`) throw new Error(`exec ${i} returned ${JSON.stringify(result.stdout.toString())}`);
    }
    times.sort((a, b) => a - b);
    const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
    console.log(`ExecSync ${at(0.5)} ms median, ${at(0.9)} ms p90 (${count} sequential calls)`);
  } finally {
    await cri.runtime.StopPodSandbox({ podSandboxId }).catch(() => undefined);
    await cri.runtime.RemovePodSandbox({ podSandboxId }).catch(() => undefined);
    cri.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
