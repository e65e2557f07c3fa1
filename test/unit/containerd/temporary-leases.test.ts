import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UnaryApi } from '../../../src/containerd/connection.js';
import { TemporaryLeases } from '../../../src/containerd/temporary-leases.js';
import { NotFoundError, UnavailableError } from '../../../src/errors.js';
import type { LeasesDefinition } from '../../../src/generated/containerd/containerd/services/leases/v1/Leases.js';

/** A containerd lease service in memory that can be told to stop answering. */
function fakeLeases(): { api: UnaryApi<LeasesDefinition>; ids: Set<string>; syncDeletes: string[]; down: { create: 'ok' | 'lost reply' | 'down'; del: boolean } } {
  const ids = new Set<string>();
  const syncDeletes: string[] = [];
  const down = { create: 'ok' as 'ok' | 'lost reply' | 'down', del: false };
  const unavailable = (): Error => new UnavailableError('containerd does not answer');
  const api = {
    Create: async (request: { id?: string }) => {
      if (down.create === 'down') throw unavailable();
      ids.add(request.id!);
      if (down.create === 'lost reply') throw unavailable();
      return { lease: { id: request.id } };
    },
    Delete: async (request: { id?: string; sync?: boolean }) => {
      if (down.del) throw unavailable();
      if (request.sync) syncDeletes.push(request.id!);
      if (!ids.delete(request.id!)) throw new NotFoundError(`lease ${request.id} not found`);
      return {};
    },
    List: async () => ({ leases: [...ids].map((id) => ({ id })) }),
  } as unknown as UnaryApi<LeasesDefinition>;
  return { api, ids, syncDeletes, down };
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await sleep(5);
  assert.ok(check());
}

describe('TemporaryLeases', () => {
  it('makes a lease of its own ID and deletes it on release', async () => {
    const { api, ids } = fakeLeases();
    const leases = new TemporaryLeases(api, 1);
    const id = await leases.create('pull', 60_000);
    assert.match(id, /^cri-ts-pull-[0-9a-f]{16}$/);
    assert.deepEqual([...ids], [id]);
    await leases.release(id);
    assert.equal(ids.size, 0);
  });

  it('releases a lease soon without the caller waiting, and says when every such release has been answered', async () => {
    const { api, ids, down } = fakeLeases();
    // containerd takes a while to answer the Delete.
    const slowApi = { ...api, Delete: async (request: { id?: string; sync?: boolean }) => (await sleep(30), api.Delete(request)) } as unknown as UnaryApi<LeasesDefinition>;
    const leases = new TemporaryLeases(slowApi, 1);
    const id = await leases.create('pull', 60_000);
    leases.releaseSoon(id, () => assert.fail('the release succeeds'));
    await sleep(5);
    assert.deepEqual([...ids], [id], 'not deleted before the caller goes on');
    await leases.releasesSettled();
    assert.equal(ids.size, 0);

    const failures: unknown[] = [];
    const other = await leases.create('pull', 60_000);
    down.del = true;
    leases.releaseSoon(other, (err) => failures.push(err));
    await leases.releasesSettled();
    assert.equal(failures.length, 1, 'a failed release is reported, not thrown');
    down.del = false;
    await eventually(() => ids.size === 0 && leases.pendingDeletions === 0);
  });

  it('retries a deletion containerd did not answer until it does', async () => {
    const { api, ids, down } = fakeLeases();
    const leases = new TemporaryLeases(api, 1);
    const id = await leases.create('create', 60_000);
    down.del = true;
    await assert.rejects(leases.release(id), /does not answer/);
    await sleep(20);
    assert.deepEqual([...ids], [id], 'still there while containerd is away');
    down.del = false;
    await eventually(() => ids.size === 0 && leases.pendingDeletions === 0);
  });

  it('deletes a lease whose Create reply was lost', async () => {
    const { api, ids, down } = fakeLeases();
    const leases = new TemporaryLeases(api, 1);
    down.create = 'lost reply';
    await assert.rejects(leases.create('create', 60_000), /does not answer/);
    await eventually(() => ids.size === 0 && leases.pendingDeletions === 0);
  });

  it('stops retrying once containerd says the lease is gone', async () => {
    const { api, down } = fakeLeases();
    const leases = new TemporaryLeases(api, 1);
    down.create = 'down';
    await assert.rejects(leases.create('create', 60_000));
    await eventually(() => leases.pendingDeletions === 0);
  });

  it('sweeps leases of ours nothing holds, and leaves held and foreign ones', async () => {
    const { api, ids } = fakeLeases();
    const leases = new TemporaryLeases(api, 1);
    ids.add('cri-ts-pull-0123456789abcdef'); // an earlier run's
    ids.add('1700000000-AbCd'); // another client's
    const held = await leases.create('create', 60_000);
    assert.equal(await leases.sweep(), 1);
    assert.deepEqual([...ids].sort(), ['1700000000-AbCd', held].sort());
  });

  it('has containerd collect garbage at once by deleting a lease of its own synchronously', async () => {
    const { api, ids, syncDeletes } = fakeLeases();
    const leases = new TemporaryLeases(api, 1);
    await leases.collectGarbage();
    assert.equal(syncDeletes.length, 1);
    assert.match(syncDeletes[0]!, /^cri-ts-gc-/);
    assert.equal(ids.size, 0);
  });
});
