import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import { detectResourceHost, resourcesToCri, withLinuxResources, type ResourceHost } from '../../../src/oci/resources.js';
import type { LinuxContainerResources__Output } from '../../../src/generated/cri/runtime/v1/LinuxContainerResources.js';

function res(fields: Partial<LinuxContainerResources__Output>): LinuxContainerResources__Output {
  return {
    cpuPeriod: '0',
    cpuQuota: '0',
    cpuShares: '0',
    memoryLimitInBytes: '0',
    oomScoreAdj: '0',
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: '0',
    ...fields,
  };
}

const full: ResourceHost = { swap: true, hugetlb: true };
const bare: ResourceHost = { swap: false, hugetlb: false };
const MiB = 1024 * 1024;

function invalid(pattern: RegExp) {
  return (err: unknown): boolean => err instanceof InvalidArgumentError && pattern.test(err.message);
}

describe('withLinuxResources', () => {
  it('sets cpu, cpuset, memory, hugepages and unified', () => {
    const spec = defaultSpec();
    withLinuxResources(
      spec,
      res({
        cpuPeriod: '100000',
        cpuQuota: '50000',
        cpuShares: '512',
        cpusetCpus: '0-1',
        cpusetMems: '0',
        memoryLimitInBytes: String(64 * MiB),
        memorySwapLimitInBytes: String(128 * MiB),
        hugepageLimits: [{ pageSize: '2MB', limit: String(4 * MiB) }],
        unified: { 'memory.high': '50000000' },
        oomScoreAdj: '999',
      }),
      full,
    );
    assert.deepEqual(spec.linux?.resources, {
      devices: [{ allow: false, access: 'rwm' }],
      cpu: { period: 100000, quota: 50000, shares: 512, cpus: '0-1', mems: '0' },
      memory: { limit: 64 * MiB, swap: 128 * MiB },
      hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
      unified: { 'memory.high': '50000000' },
    });
    assert.equal(spec.process?.oomScoreAdj, undefined, 'oom_score_adj is the caller’s');
  });

  it('leaves zero fields unset', () => {
    const spec = defaultSpec();
    withLinuxResources(spec, res({}), full);
    assert.deepEqual(spec.linux?.resources, { devices: [{ allow: false, access: 'rwm' }] });
    withLinuxResources(spec, null, full);
    assert.deepEqual(spec.linux?.resources, { devices: [{ allow: false, access: 'rwm' }] });
  });

  it('limits swap to the memory limit unless told otherwise, where swap can be limited', () => {
    const spec = defaultSpec();
    withLinuxResources(spec, res({ memoryLimitInBytes: String(15 * MiB) }), full);
    assert.deepEqual(spec.linux?.resources?.memory, { limit: 15 * MiB, swap: 15 * MiB });
    const unlimited = defaultSpec();
    withLinuxResources(unlimited, res({ memoryLimitInBytes: String(15 * MiB), memorySwapLimitInBytes: '-1' }), full);
    assert.deepEqual(unlimited.linux?.resources?.memory, { limit: 15 * MiB, swap: -1 });
    const noSwap = defaultSpec();
    withLinuxResources(noSwap, res({ memoryLimitInBytes: String(15 * MiB), memorySwapLimitInBytes: String(30 * MiB) }), bare);
    assert.deepEqual(noSwap.linux?.resources?.memory, { limit: 15 * MiB });
  });

  it('skips hugepage limits without the hugetlb controller', () => {
    const spec = defaultSpec();
    withLinuxResources(spec, res({ hugepageLimits: [{ pageSize: '2MB', limit: '0' }] }), bare);
    assert.equal(spec.linux?.resources?.hugepageLimits, undefined);
  });

  it('updates a stored spec: new values replace, zero keeps, unified and hugepages merge', () => {
    const spec = defaultSpec();
    withLinuxResources(spec, res({ cpuShares: '512', cpuQuota: '20000', unified: { a: '1' }, hugepageLimits: [{ pageSize: '2MB', limit: '1' }] }), full);
    withLinuxResources(spec, res({ cpuShares: '1024', unified: { b: '2' }, hugepageLimits: [{ pageSize: '2MB', limit: '2' }, { pageSize: '1GB', limit: '0' }] }), full);
    assert.deepEqual(spec.linux?.resources?.cpu, { shares: 1024, quota: 20000 });
    assert.deepEqual(spec.linux?.resources?.unified, { a: '1', b: '2' });
    assert.deepEqual(spec.linux?.resources?.hugepageLimits, [{ pageSize: '2MB', limit: 2 }, { pageSize: '1GB', limit: 0 }]);
  });

  it('refuses values that are not integers or do not fit, naming the field', () => {
    assert.throws(() => withLinuxResources(defaultSpec(), res({ cpuShares: '-2' }), full), invalid(/linux\.resources\.cpu_shares -2 must not be negative/));
    assert.throws(() => withLinuxResources(defaultSpec(), res({ memoryLimitInBytes: '-5' }), full), invalid(/linux\.resources\.memory_limit_in_bytes -5 must not be negative/));
    assert.throws(() => withLinuxResources(defaultSpec(), res({ memoryLimitInBytes: '9223372036854775807' }), full), invalid(/memory_limit_in_bytes .* out of range/));
    assert.throws(() => withLinuxResources(defaultSpec(), res({ cpuQuota: '1.5' }), full), invalid(/cpu_quota "1\.5"/));
    assert.throws(() => withLinuxResources(defaultSpec(), res({ hugepageLimits: [{ pageSize: '', limit: '1' }] }), full), invalid(/hugepage_limits\[0\]\.page_size/));
  });
});

describe('resourcesToCri', () => {
  it('reports what the spec holds, with oom_score_adj from the process', () => {
    const spec = defaultSpec();
    spec.process!.oomScoreAdj = -997;
    withLinuxResources(
      spec,
      res({ cpuPeriod: '100000', cpuQuota: '-1', cpuShares: '2', cpusetCpus: '1', memoryLimitInBytes: '1048576', hugepageLimits: [{ pageSize: '1GB', limit: '0' }], unified: { x: 'y' } }),
      full,
    );
    assert.deepEqual(resourcesToCri(spec), {
      cpuPeriod: 100000,
      cpuQuota: -1,
      cpuShares: 2,
      cpusetCpus: '1',
      cpusetMems: '',
      memoryLimitInBytes: 1048576,
      memorySwapLimitInBytes: 1048576,
      oomScoreAdj: -997,
      hugepageLimits: [{ pageSize: '1GB', limit: 0 }],
      unified: { x: 'y' },
    });
  });

  it('reports zeros for a spec without resources', () => {
    const r = resourcesToCri({ ociVersion: '1.0.2' });
    assert.equal(r.cpuShares, 0);
    assert.equal(r.memoryLimitInBytes, 0);
    assert.deepEqual(r.hugepageLimits, []);
  });
});

describe('detectResourceHost', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-resources-'));
    // cgroup v1 with swap accounting and no hugetlb.
    await mkdir(join(dir, 'v1/sys/fs/cgroup/memory'), { recursive: true });
    await writeFile(join(dir, 'v1/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'), '9223372036854771712\n');
    // cgroup v2 with hugetlb, and memory.swap.max in our own cgroup only.
    await mkdir(join(dir, 'v2/sys/fs/cgroup/system.slice/cri-ts.service'), { recursive: true });
    await writeFile(join(dir, 'v2/sys/fs/cgroup/cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    await writeFile(join(dir, 'v2/sys/fs/cgroup/system.slice/cri-ts.service/memory.swap.max'), 'max\n');
    await mkdir(join(dir, 'v2/proc/self'), { recursive: true });
    await writeFile(join(dir, 'v2/proc/self/cgroup'), '0::/system.slice/cri-ts.service\n');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reads cgroup v1', () => {
    assert.deepEqual(detectResourceHost(join(dir, 'v1')), { swap: true, hugetlb: false });
  });

  it('reads cgroup v2', () => {
    assert.deepEqual(detectResourceHost(join(dir, 'v2')), { swap: true, hugetlb: true });
  });

  it('finds nothing where there are no cgroups', () => {
    assert.deepEqual(detectResourceHost(join(dir, 'none')), { swap: false, hugetlb: false });
  });
});
