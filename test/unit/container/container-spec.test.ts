import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerArgs } from '../../../src/container/container-spec.js';
import { layerDirs } from '../../../src/container/rootfs-files.js';
import { cgroupsPath } from '../../../src/container/spec/cgroups.js';
import { clampOomScoreAdj } from '../../../src/container/spec/oom-score.js';
import { checkSysctl } from '../../../src/container/spec/sysctls.js';
import type { ContainerConfig__Output } from '../../../src/generated/cri/runtime/v1/ContainerConfig.js';
import type { ImageConfig } from '../../../src/image/image-config.js';
import { CriError } from '../../../src/errors.js';

const image = { entrypoint: ['/entry'], cmd: ['default-arg'] } as unknown as ImageConfig;
const config = (command: string[], args: string[]): ContainerConfig__Output => ({ command, args }) as unknown as ContainerConfig__Output;

describe('container command (CRI rules)', () => {
  it('uses the image entrypoint and cmd when the config gives neither', () => {
    assert.deepEqual(containerArgs(config([], []), image), ['/entry', 'default-arg']);
  });
  it('replaces only cmd when the config gives args', () => {
    assert.deepEqual(containerArgs(config([], ['x']), image), ['/entry', 'x']);
  });
  it('drops both entrypoint and cmd when the config gives a command', () => {
    assert.deepEqual(containerArgs(config(['sh'], []), image), ['sh']);
    assert.deepEqual(containerArgs(config(['sh'], ['-c', 'true']), image), ['sh', '-c', 'true']);
  });
});

describe('spec pieces', () => {
  it('finds layer directories in overlay and bind mounts, topmost first', () => {
    assert.deepEqual(layerDirs([{ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/w', 'upperdir=/u', 'lowerdir=/l2:/l1'] }]), ['/u', '/l2', '/l1']);
    assert.deepEqual(layerDirs([{ type: 'bind', source: '/only', options: ['rbind', 'ro'] }]), ['/only']);
  });

  it('builds cgroupfs and systemd cgroup paths', () => {
    assert.equal(cgroupsPath('/kubepods/pod1', 'abc', 'cgroupfs'), '/kubepods/pod1/abc');
    assert.equal(cgroupsPath('', 'abc', 'cgroupfs', 'k8s.io'), '/k8s.io/abc');
    assert.equal(cgroupsPath('/kubepods.slice/kubepods-pod1.slice', 'abc', 'systemd'), 'kubepods-pod1.slice:cri-ts:abc');
    assert.throws(() => cgroupsPath('/not-a-slice', 'abc', 'systemd'), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument');
  });

  it('clamps oom_score_adj only when restricted', () => {
    assert.equal(clampOomScoreAdj(-998, true, 0), 0);
    assert.equal(clampOomScoreAdj(-998, false, 0), -998);
    assert.equal(clampOomScoreAdj(500, true, 0), 500);
  });

  it('accepts namespaced sysctls and refuses node-wide or host-namespace ones', () => {
    checkSysctl('kernel.shm_rmid_forced', { network: false, ipc: false });
    checkSysctl('net.ipv4.ip_local_port_range', { network: false, ipc: false });
    checkSysctl('fs.mqueue.msg_max', { network: false, ipc: false });
    for (const [name, host] of [
      ['kernel.panic', { network: false, ipc: false }],
      ['net.core.somaxconn', { network: true, ipc: false }],
      ['kernel.msgmax', { network: false, ipc: true }],
    ] as const) {
      assert.throws(() => checkSysctl(name, host), (e: unknown) => e instanceof CriError && e.kind === 'InvalidArgument' && e.message.includes(name));
    }
  });
});
