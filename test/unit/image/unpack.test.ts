import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import { CriError } from '../../../src/errors.js';
import { chainIds } from '../../../src/image/chain-ids.js';
import { unpackLayers } from '../../../src/image/pull/unpack.js';

const DIFF_ID = `sha256:${'a'.repeat(64)}`;
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 10 };

/** A containerd whose snapshot service answers from `statAnswers` and `prepareAnswers` in turn, recording the calls. */
function scriptedContainerd(statAnswers: boolean[], prepareAnswers: ('ok' | 'exists')[]): { containerd: ContainerdClient; calls: string[] } {
  const calls: string[] = [];
  const snapshots = {
    Stat: async () => {
      calls.push('Stat');
      if (statAnswers.shift()) return { info: {} };
      throw new CriError('NotFound', 'snapshot not found');
    },
    Prepare: async () => {
      calls.push('Prepare');
      if (prepareAnswers.shift() === 'exists') throw new CriError('AlreadyExists', 'target snapshot "sha256:..." already exists');
      return { mounts: [] };
    },
    Commit: async () => void calls.push('Commit'),
    Remove: async () => void calls.push('Remove'),
  };
  const diff = { Apply: async () => (calls.push('Apply'), { applied: { digest: DIFF_ID } }) };
  const content = { Update: async () => ({}) };
  return { containerd: { snapshots, diff, content } as unknown as ContainerdClient, calls };
}

/** Unpacks and waits for the diff ID labels too; the top chain ID. */
async function unpackAndLabel(containerd: ContainerdClient, unpack: typeof request): Promise<string> {
  const { chainId, labelled } = await unpackLayers(containerd, unpack);
  await labelled;
  return chainId;
}

const request = { snapshotter: 'overlayfs', layers: [LAYER], diffIds: [DIFF_ID], lease: 'l', log: pino({ level: 'silent' }) };

describe('unpackLayers', () => {
  it('prepares without a Stat first, and applies and commits a layer not yet unpacked', async () => {
    const { containerd, calls } = scriptedContainerd([], ['ok']);
    await unpackAndLabel(containerd, request);
    assert.deepEqual(calls, ['Prepare', 'Apply', 'Commit']);
  });

  it('counts a layer as unpacked when Prepare finds its chain committed', async () => {
    const { containerd, calls } = scriptedContainerd([true], ['exists']);
    assert.equal(await unpackAndLabel(containerd, request), chainIds([DIFF_ID])[0]);
    assert.deepEqual(calls, ['Prepare', 'Stat']);
  });

  it('prepares again when the chain that was in the way is gone by the time it looks', async () => {
    const { containerd, calls } = scriptedContainerd([false], ['exists', 'ok']);
    await unpackAndLabel(containerd, request);
    assert.deepEqual(calls, ['Prepare', 'Stat', 'Prepare', 'Apply', 'Commit']);
  });

  it('gives up with AlreadyExists after three such attempts', async () => {
    const { containerd } = scriptedContainerd([false, false, false], ['exists', 'exists', 'exists']);
    await assert.rejects(unpackAndLabel(containerd, request), (err) => err instanceof CriError && err.kind === 'AlreadyExists');
  });
});
