import { join } from 'node:path';
import { ContainerdClient } from '../../src/containerd/client.js';
import { createTestContainerd, type TestContainerd } from './containerd.js';
import { type CriTsOptions, createTestCriTs, type TestCriTs } from './cri-ts.js';
import { makeTestDir } from './test-dir.js';

/** A real containerd of the test's own and cri-ts on it, plus a client to look behind cri-ts. */
export interface TestStack {
  readonly dir: string;
  readonly containerd: TestContainerd;
  readonly criTs: TestCriTs;
  /** A client in cri-ts's namespace, for checking what cri-ts left in containerd. */
  readonly client: ContainerdClient;
  stop(): Promise<void>;
}

export async function startStack(prefix: string, options: Omit<CriTsOptions, 'containerdAddress'> = {}): Promise<TestStack> {
  const testDir = await makeTestDir(prefix);
  const containerd = await createTestContainerd(join(testDir.dir, 'containerd'));
  const criTs = await createTestCriTs(testDir.dir, { ...options, containerdAddress: containerd.address });
  const client = new ContainerdClient(containerd.address, 'k8s.io', 10_000);
  const stop = async (): Promise<void> => {
    client.close();
    await criTs.stop().catch(() => undefined);
    await containerd.stop().catch(() => undefined);
    await testDir.remove();
  };
  try {
    await containerd.start();
    await criTs.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir: testDir.dir, containerd, criTs, client, stop };
}
