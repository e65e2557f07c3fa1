import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import {
  LINUX_CAPABILITIES,
  currentCapabilities,
  kernelCapabilities,
  normalizeCapability,
  resolveCapabilities,
  withCapabilities,
} from '../../../src/oci/capabilities.js';
import { DEFAULT_CAPABILITIES, defaultSpec } from '../../../src/oci/default-spec.js';

const ALL = [...LINUX_CAPABILITIES];
const none = { add: [], drop: [] };
const sorted = (caps: readonly string[]): string[] => [...caps].sort();

describe('capability names', () => {
  it('lists the kernel capabilities by bit number', () => {
    assert.equal(LINUX_CAPABILITIES.length, 41);
    assert.equal(LINUX_CAPABILITIES[0], 'CAP_CHOWN');
    assert.equal(LINUX_CAPABILITIES[21], 'CAP_SYS_ADMIN');
    assert.equal(LINUX_CAPABILITIES[24], 'CAP_SYS_RESOURCE');
    assert.equal(LINUX_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
  });

  it('maps cap_last_cap onto the names', () => {
    assert.equal(kernelCapabilities('40\n').length, 41);
    assert.deepEqual(kernelCapabilities('37\n').at(-1), 'CAP_AUDIT_READ');
  });

  it('reads its own effective set from /proc/self/status text', () => {
    // A node that lacks CAP_SYS_RESOURCE (bit 24).
    const caps = currentCapabilities('Name:\tnode\nCapEff:\t000001fffeffffff\n');
    assert.equal(caps.length, 40);
    assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
    assert.ok(caps.includes('CAP_SYS_ADMIN'));
    assert.deepEqual(currentCapabilities('CapEff:\t0000000000000001\n'), ['CAP_CHOWN']);
    assert.deepEqual(currentCapabilities('Name:\tx\n'), []);
  });

  it('accepts CRI names in any case, with or without CAP_', () => {
    assert.equal(normalizeCapability('NET_ADMIN', 'f'), 'CAP_NET_ADMIN');
    assert.equal(normalizeCapability('net_admin', 'f'), 'CAP_NET_ADMIN');
    assert.equal(normalizeCapability('CAP_NET_ADMIN', 'f'), 'CAP_NET_ADMIN');
  });
});

describe('withCapabilities', () => {
  it('gives the default set to bounding, effective and permitted only', () => {
    const spec = defaultSpec();
    withCapabilities(spec, none, false, ALL);
    const caps = spec.process!.capabilities!;
    assert.deepEqual(sorted(caps.bounding!), sorted(DEFAULT_CAPABILITIES));
    assert.deepEqual(caps.effective, caps.bounding);
    assert.deepEqual(caps.permitted, caps.bounding);
    assert.equal(caps.inheritable, undefined);
    assert.equal(caps.ambient, undefined);
  });

  it('adds and drops named capabilities', () => {
    const spec = defaultSpec();
    withCapabilities(spec, { add: ['NET_ADMIN'], drop: ['NET_RAW'] }, false, ALL);
    const bounding = spec.process!.capabilities!.bounding!;
    assert.ok(bounding.includes('CAP_NET_ADMIN'));
    assert.ok(!bounding.includes('CAP_NET_RAW'));
    assert.ok(spec.process!.capabilities!.effective!.includes('CAP_NET_ADMIN'));
    assert.ok(spec.process!.capabilities!.permitted!.includes('CAP_NET_ADMIN'));
  });

  it('add ALL is every available capability, then named drops apply', () => {
    assert.deepEqual(resolveCapabilities({ add: ['ALL'], drop: [] }, false, ALL), ALL);
    const noChown = resolveCapabilities({ add: ['ALL'], drop: ['CHOWN'] }, false, ALL);
    assert.equal(noChown.length, ALL.length - 1);
    assert.ok(!noChown.includes('CAP_CHOWN'));
  });

  it('drop ALL starts from nothing, then named additions apply', () => {
    assert.deepEqual(resolveCapabilities({ add: [], drop: ['ALL'] }, false, ALL), []);
    assert.deepEqual(resolveCapabilities({ add: ['NET_RAW'], drop: ['all'] }, false, ALL), ['CAP_NET_RAW']);
  });

  it('privileged is every available capability, whatever is dropped', () => {
    const available = currentCapabilities('CapEff:\t000001fffeffffff\n');
    const spec = defaultSpec();
    withCapabilities(spec, { add: [], drop: ['ALL', 'SYS_ADMIN'] }, true, available);
    assert.deepEqual(spec.process!.capabilities!.bounding, available);
  });

  it('ALL is limited to what cri-ts holds (runc cannot grant more)', () => {
    const available = currentCapabilities('CapEff:\t000001fffeffffff\n');
    const caps = resolveCapabilities({ add: ['ALL'], drop: [] }, false, available);
    assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
    assert.equal(caps.length, 40);
  });

  it('refuses adding a capability cri-ts does not hold', () => {
    const available = ALL.filter((c) => c !== 'CAP_SYS_RESOURCE');
    assert.throws(
      () => resolveCapabilities({ add: ['SYS_RESOURCE'], drop: [] }, false, available),
      (err: unknown) => err instanceof InvalidArgumentError && /SYS_RESOURCE/.test(err.message) && /add_capabilities/.test(err.message),
    );
  });

  it('leaves out defaults cri-ts does not hold', () => {
    const available = ALL.filter((c) => c !== 'CAP_MKNOD');
    const caps = resolveCapabilities(none, false, available);
    assert.ok(!caps.includes('CAP_MKNOD'));
    assert.equal(caps.length, DEFAULT_CAPABILITIES.length - 1);
  });

  it('refuses unknown capability names, naming them and the field', () => {
    assert.throws(
      () => resolveCapabilities({ add: ['NET_ADMIN', 'FOO_BAR'], drop: [] }, false, ALL),
      (err: unknown) =>
        err instanceof InvalidArgumentError && err.message.includes('"FOO_BAR"') && err.message.includes('linux.security_context.capabilities.add_capabilities[1]'),
    );
    assert.throws(
      () => resolveCapabilities({ add: [], drop: ['NOPE'] }, true, ALL),
      (err: unknown) => err instanceof InvalidArgumentError && err.message.includes('drop_capabilities[0]'),
    );
  });
});
