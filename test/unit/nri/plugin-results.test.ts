import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Field, FieldConflictError, FieldOwnership } from '../../../src/nri/field-owners.js';
import type { ContainerAdjustment, ContainerAdjustment__Output, ContainerUpdate, ContainerUpdate__Output } from '../../../src/nri/nri-types.js';
import { decodeMessage, encodeMessage } from '../../../src/nri/nri-wire.js';
import { claimAdjustment, UpdateCollector } from '../../../src/nri/plugin-results.js';

const adjustment = (a: ContainerAdjustment): ContainerAdjustment__Output => decodeMessage('ContainerAdjustment', encodeMessage('ContainerAdjustment', a));
const update = (u: ContainerUpdate): ContainerUpdate__Output => decodeMessage('ContainerUpdate', encodeMessage('ContainerUpdate', u));

describe('merging what several NRI plugins ask for', () => {
  it('refuses a second plugin setting what a first one set, naming both', () => {
    const owners = new FieldOwnership();
    claimAdjustment(owners, 'c1', adjustment({ env: [{ key: 'A', value: '1' }], linux: { resources: { memory: { limit: { value: 1 } } } } }), '10-first');
    claimAdjustment(owners, 'c1', adjustment({ env: [{ key: 'B', value: '2' }] }), '20-second');
    assert.throws(() => claimAdjustment(owners, 'c1', adjustment({ env: [{ key: 'A', value: '3' }] }), '20-second'), (err: unknown) => err instanceof FieldConflictError && /"20-second" and "10-first" both tried to set Env A/.test(err.message));
    assert.throws(() => claimAdjustment(owners, 'c1', adjustment({ linux: { resources: { memory: { limit: { value: 2 } } } } }), '20-second'), /MemLimit/);
  });

  it('lets hooks accumulate from several plugins and records owners as ValidateContainerAdjustment carries them', () => {
    const owners = new FieldOwnership();
    claimAdjustment(owners, 'c1', adjustment({ hooks: { prestart: [{ path: '/a' }] }, annotations: { x: 'y' } }), '10-a');
    claimAdjustment(owners, 'c1', adjustment({ hooks: { poststop: [{ path: '/b' }] } }), '20-b');
    const wire = owners.toWire();
    assert.equal(wire.owners!.c1!.simple![Field.OciHooks], '10-a,20-b');
    assert.deepEqual(wire.owners!.c1!.compound![Field.Annotations], { owners: { x: '10-a' } });
  });

  it('merges updates of one container from several plugins; refuses updating the container being created', () => {
    const owners = new FieldOwnership();
    const collector = new UpdateCollector(owners, 'creating');
    collector.add([update({ containerId: 'other', linux: { resources: { cpu: { shares: { value: 10 } } } } })], '10-a');
    collector.add([update({ containerId: 'other', linux: { resources: { memory: { limit: { value: 100 } } } } })], '20-b');
    const [merged] = collector.updates();
    assert.equal(merged!.containerId, 'other');
    const r = (merged!.linux as { resources: { cpu: { shares: { value: string } }; memory: { limit: { value: string } } } }).resources;
    assert.deepEqual([r.cpu.shares.value, r.memory.limit.value], ['10', '100']);
    assert.throws(() => collector.add([update({ containerId: 'creating' })], '10-a'), /while it is being created/);
    // a conflicting update marked ignore_failure is skipped, not fatal
    collector.add([update({ containerId: 'other', ignoreFailure: true, linux: { resources: { cpu: { shares: { value: 20 } } } } })], '30-c');
    assert.throws(() => collector.add([update({ containerId: 'other', linux: { resources: { cpu: { shares: { value: 20 } } } } })], '30-c'), FieldConflictError);
  });
});
