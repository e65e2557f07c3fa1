import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAP_SYS_RESOURCE, hasEffectiveCapability } from '../../../src/host/capabilities.js';

describe('capabilities', () => {
  it('reads CapEff from /proc/self/status text', () => {
    // The set these machines have: everything up to cap 40 but CAP_SYS_RESOURCE.
    const without = 'Name:\tnode\nCapEff:\t000001fffeffffff\n';
    const withAll = 'Name:\tnode\nCapEff:\t000001ffffffffff\n';
    assert.equal(hasEffectiveCapability(CAP_SYS_RESOURCE, without), false);
    assert.equal(hasEffectiveCapability(CAP_SYS_RESOURCE, withAll), true);
    assert.equal(hasEffectiveCapability(0, without), true);
  });

  it('treats a missing CapEff line as no capability', () => {
    assert.equal(hasEffectiveCapability(CAP_SYS_RESOURCE, 'Name:\tx\n'), false);
  });
});
