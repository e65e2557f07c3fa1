import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container } from '../../../src/container/container.js';
import { specResources } from '../../../src/stats/metric-figures.js';

const container = (spec: Container['spec'], resources: Record<string, unknown> | null): Pick<Container, 'spec' | 'metadata'> =>
  ({ spec, metadata: { config: { linux: resources ? { resources } : null } } }) as unknown as Pick<Container, 'spec' | 'metadata'>;

const CRI_RESOURCES = {
  cpuPeriod: '100000', cpuQuota: '20000', cpuShares: '512', memoryLimitInBytes: '67108864', memorySwapLimitInBytes: '0',
  cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: {}, oomScoreAdj: '0',
};

describe("a container's spec figures", () => {
  it('come from the spec cri-ts holds, which UpdateContainerResources keeps current', () => {
    const spec = { ociVersion: '1.2.0', linux: { resources: { cpu: { period: 50000, quota: 10000, shares: 2 }, memory: { limit: 1024, swap: -1 }, pids: { limit: 64 } } } };
    assert.deepEqual(specResources(container(spec, CRI_RESOURCES)), { cpuPeriod: 50000, cpuQuota: 10000, cpuShares: 2, memoryLimit: 1024, memorySwapLimit: -1, pidsLimit: 64 });
  });

  it('are derived from the CRI config as at creation when cri-ts has not read the spec back (after a restart)', () => {
    const figures = specResources(container(undefined, CRI_RESOURCES));
    assert.equal(figures.cpuPeriod, 100000);
    assert.equal(figures.cpuQuota, 20000);
    assert.equal(figures.cpuShares, 512);
    assert.equal(figures.memoryLimit, 67108864);
    assert.equal(figures.pidsLimit, undefined);
    assert.deepEqual(specResources(container(undefined, null)), {});
  });
});
