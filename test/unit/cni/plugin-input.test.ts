import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pluginInput, runtimeConfigFor, type RuntimeCapabilityArgs } from '../../../src/cni/plugin-input.js';

const ARGS: RuntimeCapabilityArgs = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  bandwidth: { ingressRate: 1_000_000, ingressBurst: 2_000_000 },
  dns: { servers: ['10.96.0.10'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
  cgroupPath: '/kubepods/pod1',
};

describe('runtimeConfig by declared capabilities', () => {
  it('passes only the capabilities a plugin declares true', () => {
    assert.deepEqual(runtimeConfigFor({ type: 'portmap', capabilities: { portMappings: true } }, ARGS), { portMappings: ARGS.portMappings });
    assert.deepEqual(runtimeConfigFor({ type: 'bandwidth', capabilities: { bandwidth: true, portMappings: false } }, ARGS), {
      bandwidth: ARGS.bandwidth,
    });
    assert.deepEqual(runtimeConfigFor({ type: 'x', capabilities: { dns: true, cgroupPath: true, ips: true } }, ARGS), {
      dns: ARGS.dns,
      cgroupPath: '/kubepods/pod1',
    });
  });

  it('passes nothing to plugins without capabilities or with unknown ones', () => {
    assert.deepEqual(runtimeConfigFor({ type: 'bridge' }, ARGS), {});
    assert.deepEqual(runtimeConfigFor({ type: 'x', capabilities: ['portMappings'] }, ARGS), {});
    assert.deepEqual(runtimeConfigFor({ type: 'x', capabilities: { mac: true } }, ARGS), {});
  });
});

describe('plugin stdin', () => {
  it('injects the list name and cniVersion, prevResult and runtimeConfig', () => {
    const plugin = { type: 'portmap', capabilities: { portMappings: true }, snat: true };
    const prevResult = { cniVersion: '1.0.0', ips: [] };
    const input = pluginInput(plugin, { networkName: 'podnet', cniVersion: '1.0.0', prevResult, capabilityArgs: ARGS });
    assert.deepEqual(input, {
      type: 'portmap',
      capabilities: { portMappings: true },
      snat: true,
      name: 'podnet',
      cniVersion: '1.0.0',
      prevResult,
      runtimeConfig: { portMappings: ARGS.portMappings },
    });
    // the config entry itself is left alone
    assert.deepEqual(plugin, { type: 'portmap', capabilities: { portMappings: true }, snat: true });
  });

  it('adds no runtimeConfig or prevResult when there is none', () => {
    const input = pluginInput({ type: 'bridge', bridge: 'cni0' }, { networkName: 'n', cniVersion: '0.4.0', capabilityArgs: ARGS });
    assert.deepEqual(input, { type: 'bridge', bridge: 'cni0', name: 'n', cniVersion: '0.4.0' });
  });
});
