import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CgroupLayout,
  cgroupsPathToPath,
  expandSlice,
  expandSystemdCgroupsPath,
  isSystemdCgroupsPath,
  parseHybridUnifiedMount,
  parseV1Mounts,
} from '../../../src/host/cgroup-layout.js';
import { fakeMountinfo, writeCgroupFiles } from '../stats/fake-cgroups.js';

describe('systemd cgroupsPath conversion', () => {
  it('expands a kubelet pod slice and names the scope prefix-name', () => {
    assert.equal(
      expandSystemdCgroupsPath('kubepods-burstable-pod1.slice:cri-containerd:abc'),
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope',
    );
  });

  it('defaults an empty slice to system.slice, keeps a .slice name as is, and maps -.slice to the root', () => {
    assert.equal(expandSystemdCgroupsPath(':runc:abc'), '/system.slice/runc-abc.scope');
    assert.equal(expandSystemdCgroupsPath('kubepods.slice:x:kubepods-pod2.slice'), '/kubepods.slice/kubepods-pod2.slice');
    assert.equal(expandSlice('-.slice'), '/');
  });

  it('rejects slice names runc rejects', () => {
    for (const bad of ['kubepods', '.slice', 'a--b.slice', '-a.slice', 'a/b.slice']) {
      assert.throws(() => expandSlice(bad), /invalid systemd slice name/, bad);
    }
  });

  it('tells the two forms apart and keeps cgroupfs paths inside the hierarchy', () => {
    assert.equal(isSystemdCgroupsPath('kubepods.slice:cri-containerd:abc'), true);
    assert.equal(isSystemdCgroupsPath('/kubepods/pod123/abc'), false);
    assert.equal(cgroupsPathToPath('/kubepods/pod123/abc'), '/kubepods/pod123/abc');
    assert.equal(cgroupsPathToPath('/kubepods/../../../etc'), '/etc');
    assert.equal(cgroupsPathToPath('kubepods.slice:cri-containerd:abc'), '/kubepods.slice/cri-containerd-abc.scope');
  });
});

describe('cgroup layout detection', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-layout-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detects v2 by the root cgroup.controllers and maps paths under the root', async () => {
    const root = join(dir, 'v2');
    await writeCgroupFiles(root, '', { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n' });
    const layout = await CgroupLayout.detect({ root, mountinfoPath: join(dir, 'missing') });
    assert.equal(layout.version, 2);
    assert.deepEqual(layout.dirsFor('kubepods-besteffort-pod9.slice:cri-containerd:c1'), {
      version: 2,
      unified: join(root, 'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9.slice/cri-containerd-c1.scope'),
    });
  });

  it('detects v1 and maps each controller through its mount, preferring mounts under the root', async () => {
    const root = join(dir, 'v1');
    await writeCgroupFiles(root, 'memory', {});
    const mountinfoPath = join(dir, 'mountinfo');
    await writeFile(mountinfoPath, fakeMountinfo(root));
    const layout = await CgroupLayout.detect({ root, mountinfoPath });
    assert.equal(layout.version, 1);
    assert.deepEqual(layout.dirsFor('/kubepods/pod123/abc'), {
      version: 1,
      dirs: {
        cpu: join(root, 'cpu,cpuacct/kubepods/pod123/abc'),
        cpuacct: join(root, 'cpu,cpuacct/kubepods/pod123/abc'),
        memory: join(root, 'memory/kubepods/pod123/abc'),
        pids: join(root, 'pids/kubepods/pod123/abc'),
        blkio: join(root, 'blkio/kubepods/pod123/abc'),
      },
    });
  });

  it('keeps none of the mount table it parsed alive', async () => {
    const root = join(dir, 'v1-many-mounts');
    await writeCgroupFiles(root, 'memory', {});
    const mountinfoPath = join(dir, 'mountinfo-many-mounts');
    // About 900 KB, as a node with a few hundred pods has: under 1 MB, so Node reads it into the V8 heap.
    const podMounts = Array.from({ length: 9000 }, (_, i) => `${1000 + i} 27 0:${i} / /run/netns/cri-ts-pod-${i} rw,relatime shared:5 - nsfs nsfs rw`);
    await writeFile(mountinfoPath, [fakeMountinfo(root), ...podMounts, ''].join('\n'));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = getHeapStatistics().used_heap_size;
    const layout = await CgroupLayout.detect({ root, mountinfoPath });
    gc();
    const kept = getHeapStatistics().used_heap_size - before;
    assert.equal(layout.dirsFor('/pod').version, 1);
    // A mount point kept as a substring would keep all 900 KB.
    assert.ok(kept < 300_000, `the layout keeps ${kept} bytes`);
  });

  it('parses mountinfo escapes and strips a non-root mount root', () => {
    const mounts = parseV1Mounts(
      '40 30 0:40 /docker/ctr /sys/fs/cgroup/my\\040memory rw - cgroup cgroup rw,memory\n' +
        '41 30 0:41 / /sys/fs/cgroup/pids rw shared:3 - cgroup cgroup rw,pids\n',
    );
    assert.deepEqual(mounts.get('memory'), { root: '/docker/ctr', mountPoint: '/sys/fs/cgroup/my memory' });
    const dirs = CgroupLayout.v1(mounts).dirsFor('/docker/ctr/kubepods/p1');
    assert.deepEqual(dirs, {
      version: 1,
      dirs: { memory: '/sys/fs/cgroup/my memory/kubepods/p1', pids: '/sys/fs/cgroup/pids/docker/ctr/kubepods/p1' },
    });
  });

  it('finds the unified hierarchy of a hybrid host, and lists it with the v1 ones for removal', () => {
    const mountinfo =
      '35 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n' +
      '36 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n' +
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';
    const unified = parseHybridUnifiedMount(mountinfo);
    assert.deepEqual(unified, { root: '/', mountPoint: '/sys/fs/cgroup/unified' });
    assert.deepEqual(CgroupLayout.v1(parseV1Mounts(mountinfo), unified).everyDirOf('/pods/c1').sort(), [
      '/sys/fs/cgroup/cpu,cpuacct/pods/c1',
      '/sys/fs/cgroup/memory/pods/c1',
      '/sys/fs/cgroup/unified/pods/c1',
    ]);
    assert.equal(parseHybridUnifiedMount(mountinfo.split('\n').slice(0, 2).join('\n')), undefined);
  });
});
