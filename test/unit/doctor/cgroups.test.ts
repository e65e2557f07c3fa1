import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCgroups, type CgroupPaths } from '../../../src/doctor/cgroups.js';
import { configFromToml } from '../../../src/config/config.js';
import { parseConfigText } from '../../../src/config/config.js';
import { scratchDir, writeTree } from './scratch.js';

/** A fake /sys/fs/cgroup and mountinfo: v2 alone, v1 with cgroup2 beside it, or nothing mounted. */
async function fakeHost(layout: 'unified' | 'hybrid' | 'none', systemd = false): Promise<CgroupPaths> {
  const dir = await scratchDir(`cg-${layout}`);
  const root = join(dir, 'cgroup');
  const mounts: string[] = [`20 1 8:1 / / rw - ext4 /dev/vda rw`];
  if (layout === 'unified') {
    await writeTree(root, { 'cgroup.controllers': 'cpu memory pids\n' });
    mounts.push(`31 20 0:28 / ${root} rw - cgroup2 cgroup2 rw`);
  }
  if (layout === 'hybrid') {
    await writeTree(root, { 'memory/.keep': '' });
    mounts.push(`32 31 0:29 / ${root}/memory rw - cgroup cgroup rw,memory`, `41 31 0:38 / ${root}/unified rw - cgroup2 cgroup2 rw`);
  }
  await writeTree(dir, { mountinfo: `${mounts.join('\n')}\n`, ...(systemd ? { 'run-systemd/.keep': '' } : {}) });
  return { root, mountinfo: join(dir, 'mountinfo'), systemdRunDir: join(dir, 'run-systemd') };
}

describe('doctor: cgroups', () => {
  it('cgroup v2 with the default driver is ok and names kubelet\'s cgroupDriver', async () => {
    const result = await checkCgroups(configFromToml({}), await fakeHost('unified'));
    assert.equal(result.status, 'ok');
    assert.match(result.detail, /cgroup v2; driver cgroupfs: kubelet's cgroupDriver must be cgroupfs/);
  });

  it('v1 hierarchies warn about kubelet\'s failCgroupV1', async () => {
    const result = await checkCgroups(configFromToml({}), await fakeHost('hybrid'));
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /cgroup v1 hierarchies, cgroup2 beside them at .*\/unified/);
    assert.match(result.fix ?? '', /failCgroupV1: false/);
  });

  it('fails when no hierarchy is mounted', async () => {
    assert.equal((await checkCgroups(configFromToml({}), await fakeHost('none'))).status, 'fail');
  });

  it('fails the systemd driver where systemd is not init, and passes it where it is', async () => {
    const config = parseConfigText('cgroup_driver = "systemd"\n[containerd.runtimes.runc.options]\nSystemdCgroup = true\n', 't.toml');
    const without = await checkCgroups(config, await fakeHost('unified'));
    assert.equal(without.status, 'fail');
    assert.match(without.detail, /systemd is not running as init/);
    assert.equal((await checkCgroups(config, await fakeHost('unified', true))).status, 'ok');
  });

  it('fails a runc handler whose SystemdCgroup disagrees with cgroup_driver', async () => {
    const config = parseConfigText('[containerd.runtimes.runc.options]\nSystemdCgroup = true\n', 't.toml');
    const result = await checkCgroups(config, await fakeHost('unified'));
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /runtime runc has SystemdCgroup = true/);
    assert.match(result.fix ?? '', /containerd\.runtimes\.runc\.options\.SystemdCgroup = false/);
  });
});
