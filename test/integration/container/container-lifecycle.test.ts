import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from '../../harness/offline-images.js';
import { after, before, describe, it } from 'node:test';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { crictl, crictlJson } from '../../harness/crictl.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';
import type { TestStack } from '../../harness/stack.js';

interface Status {
  status: { id: string; state: string; exitCode: number; reason: string; user: { linux: { uid: string; gid: string } }; logPath: string };
  info: { pid: number };
}

const CRI_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [PF] /;

describe('containers through crictl on real containerd and runc', () => {
  let fixture: PodFixture;
  let stack: TestStack;
  let podId: string;
  const create = (command: string[], extra: Record<string, unknown> = {}) => fixture.create(command, extra);
  const run = (command: string[], extra: Record<string, unknown> = {}) => fixture.run(command, extra);
  const status = (id: string) => crictlJson<Status>(stack.criTs.socket, ['inspect', id]);
  const waitExited = (id: string, ms = 15_000) => waitFor(`container ${id} to exit`, async () => (await status(id)).status.state === 'CONTAINER_EXITED', ms);

  before(async () => {
    fixture = await startPodFixture('ctest', { bridge: 'critsct0', subnet: '10.213.0.0/16' });
    stack = fixture.stack;
    podId = fixture.podId;
  });

  after(async () => {
    await fixture?.stop();
  });

  it('runs a command, writes its output to the CRI log, and records a clean exit', async () => {
    const c = await run(['sh', '-c', 'echo hello; echo oops >&2; printf "no newline"']);
    await waitExited(c.id);
    const s = await status(c.id);
    assert.deepEqual([s.status.exitCode, s.status.reason], [0, 'Completed']);
    const lines = (await readFile(c.logPath, 'utf8')).split('\n').filter(Boolean);
    for (const line of lines) assert.match(line, CRI_LINE);
    // stdout and stderr are separate pipes: their relative order is not defined, each stream's is
    const records = lines.map((l) => l.replace(/^\S+ /, ''));
    assert.deepEqual(records.filter((r) => r.startsWith('stdout')), ['stdout F hello', 'stdout P no newline']);
    assert.deepEqual(records.filter((r) => r.startsWith('stderr')), ['stderr F oops']);
    const logs = await crictl(stack.criTs.socket, ['logs', c.id]);
    assert.match(logs.stdout + logs.stderr, /hello/);
  });

  it('reports a failing command as Error with its exit code', async () => {
    const c = await run(['sh', '-c', 'exit 7']);
    await waitExited(c.id);
    const s = await status(c.id);
    assert.deepEqual([s.status.exitCode, s.status.reason], [7, 'Error']);
  });

  it('stops with the stop signal, and with SIGKILL when it is ignored', async () => {
    const polite = await run(['sh', '-c', 'trap "exit 3" TERM; echo ready; while true; do sleep 0.1; done']);
    const stubborn = await run(['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']);
    // the traps must be set before the signal comes
    for (const c of [polite, stubborn]) await waitFor('the trap', async () => (await readFile(c.logPath, 'utf8').catch(() => '')).includes('ready'));
    const politeStop = await crictl(stack.criTs.socket, ['stop', '-t', '10', polite.id]);
    assert.equal(politeStop.code, 0, politeStop.stderr);
    assert.equal((await status(polite.id)).status.exitCode, 3);
    const started = Date.now();
    const stubbornStop = await crictl(stack.criTs.socket, ['stop', '-t', '1', stubborn.id]);
    assert.equal(stubbornStop.code, 0, stubbornStop.stderr);
    assert.ok(Date.now() - started < 8000);
    assert.equal((await status(stubborn.id)).status.exitCode, 137);
    assert.equal((await crictl(stack.criTs.socket, ['stop', stubborn.id])).code, 0, 'stopping again succeeds');
  });

  it('runs as the user the security context names, with its groups', async () => {
    const c = await run(['sh', '-c', 'id -u; id -g; sleep 30'], { linux: { security_context: { run_as_user: { value: 1000 }, run_as_group: { value: 2000 }, supplemental_groups: [3000] } } });
    await waitFor('output', async () => (await readFile(c.logPath, 'utf8').catch(() => '')).split('\n').length > 2);
    const out = (await readFile(c.logPath, 'utf8')).split('\n').filter(Boolean).map((l) => l.split(' ').pop());
    assert.deepEqual(out, ['1000', '2000']);
    const s = await status(c.id);
    assert.deepEqual([s.status.user.linux.uid, s.status.user.linux.gid], ['1000', '2000']);
    assert.equal((await crictl(stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
  });

  it('removes a running container with everything it had', async () => {
    const c = await run(['sleep', '300']);
    const pid = (await status(c.id)).info.pid;
    assert.ok(pid > 0);
    assert.equal((await crictl(stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
    assert.throws(() => process.kill(pid, 0), 'the process is gone');
    const { containers } = await stack.client.containers.List({ filters: [] });
    assert.equal(containers.some((r) => r.id === c.id), false);
    const snapshots: string[] = [];
    for await (const page of stack.client.listSnapshots({ snapshotter: 'overlayfs' })) snapshots.push(...page.info.map((i) => i.name));
    assert.equal(snapshots.includes(c.id), false);
    assert.equal((await crictl(stack.criTs.socket, ['ps', '-a', '-q'])).stdout.includes(c.id), false);
  });

  it('marks a container killed by the OOM killer as OOMKilled', async () => {
    const c = await run(['sh', '-c', 'x=aaaaaaaa; while true; do x=$x$x; done'], { linux: { resources: { memory_limit_in_bytes: 32 * 1024 * 1024 } } });
    await waitExited(c.id, 30_000);
    const s = await status(c.id);
    assert.equal(s.status.reason, 'OOMKilled');
    assert.equal(s.status.exitCode, 137);
  });

  it('reopens the log after rotation without losing lines', async () => {
    const c = await run(['sh', '-c', 'i=0; while [ $i -lt 40 ]; do echo line$i; i=$((i+1)); sleep 0.05; done']);
    await new Promise((r) => setTimeout(r, 700));
    await rename(c.logPath, `${c.logPath}.1`);
    const cri = criClient(stack.criTs.socket);
    try {
      await cri.runtime.ReopenContainerLog({ containerId: c.id });
    } finally {
      cri.close();
    }
    await waitExited(c.id);
    const text = (await readFile(`${c.logPath}.1`, 'utf8')) + (await readFile(c.logPath, 'utf8'));
    const numbers = text.split('\n').filter(Boolean).map((l) => l.split(' ').pop());
    assert.deepEqual(numbers, Array.from({ length: 40 }, (_, i) => `line${i}`));
    assert.ok((await readFile(c.logPath, 'utf8')).length > 0, 'the new file got lines');
  });

  it('keeps running containers and their logs across a cri-ts restart, and notices their exit afterwards', async () => {
    const c = await run(['sh', '-c', 'echo before; sleep 3; echo after; exit 5']);
    await waitFor('first line', async () => (await readFile(c.logPath, 'utf8').catch(() => '')).includes('before'));
    await stack.criTs.stop();
    await stack.criTs.start();
    assert.equal((await status(c.id)).status.state, 'CONTAINER_RUNNING');
    await waitExited(c.id);
    assert.equal((await status(c.id)).status.exitCode, 5);
    assert.match(await readFile(c.logPath, 'utf8'), /stdout F after/);
  });

  it('after a restart: starts a CREATED container, reads a record left CREATED while its task ran as RUNNING, and drops a creation cut short', async () => {
    const later = await create(['sh', '-c', 'echo started-after-restart']);
    const raced = await create(['sleep', '300']);
    const cutShort = await create(['true']);
    await stack.criTs.stop();
    // As if cri-ts stopped right after Tasks.Start, before writing RUNNING.
    const { mounts } = await stack.client.snapshots.Mounts({ snapshotter: 'overlayfs', key: raced.id });
    await stack.client.tasks.Create({ containerId: raced.id, rootfs: mounts });
    await stack.client.tasks.Start({ containerId: raced.id });
    // As if cri-ts stopped between writing the record and preparing its snapshot.
    await stack.client.snapshots.Remove({ snapshotter: 'overlayfs', key: cutShort.id });
    await stack.criTs.start();

    assert.equal((await crictl(stack.criTs.socket, ['start', later.id])).code, 0);
    await waitExited(later.id);
    assert.match(await readFile(later.logPath, 'utf8'), /stdout F started-after-restart/);
    assert.equal((await status(raced.id)).status.state, 'CONTAINER_RUNNING');
    assert.equal((await crictl(stack.criTs.socket, ['stop', '-t', '0', raced.id])).code, 0);
    assert.equal((await status(raced.id)).status.exitCode, 137);
    assert.equal((await crictl(stack.criTs.socket, ['ps', '-a', '-q'])).stdout.includes(cutShort.id), false);
    const { containers } = await stack.client.containers.List({ filters: [] });
    assert.equal(containers.some((r) => r.id === cutShort.id), false, 'the record without a snapshot is gone');
  });

  it('answers bad input with the right status and a message naming the field', async () => {
    const cri = criClient(stack.criTs.socket);
    try {
      await assert.rejects(cri.runtime.StartContainer({ containerId: 'f'.repeat(64) }), (e: unknown) => grpcCode(e) === 'NOT_FOUND');
      await assert.rejects(cri.runtime.CreateContainer({ podSandboxId: podId, config: { metadata: { name: 'x' }, image: { image: '' } } }), (e: unknown) => grpcCode(e) === 'INVALID_ARGUMENT' && String(e).includes('config.image.image'));
      await assert.rejects(
        cri.runtime.CreateContainer({ podSandboxId: podId, config: { metadata: { name: 'x' }, image: { image: 'no.such/image:1' } } }),
        (e: unknown) => grpcCode(e) === 'NOT_FOUND' && String(e).includes('no.such/image'),
      );
      const created = await create(['true']);
      await cri.runtime.StartContainer({ containerId: created.id });
      await waitExited(created.id);
      await assert.rejects(cri.runtime.StartContainer({ containerId: created.id }), (e: unknown) => grpcCode(e) === 'FAILED_PRECONDITION');
      await cri.runtime.RemoveContainer({ containerId: created.id });
      await cri.runtime.RemoveContainer({ containerId: created.id });
      await cri.runtime.StopContainer({ containerId: created.id, timeout: 0 });
    } finally {
      cri.close();
    }
  });

  it('lists containers with crictl ps, filtered by state, pod, label and ID prefix', async () => {
    const labelled = await run(['sleep', '300'], { labels: { tier: 'ps-test' } });
    const idle = await create(['true'], { labels: { tier: 'ps-test' } });
    const ids = async (...args: string[]) => (await crictl(stack.criTs.socket, ['ps', '-q', ...args])).stdout.split('\n').filter(Boolean);
    assert.deepEqual(await ids('--label', 'tier=ps-test'), [labelled.id]);
    assert.deepEqual((await ids('-a', '--label', 'tier=ps-test')).sort(), [labelled.id, idle.id].sort());
    assert.deepEqual(await ids('-a', '--label', 'tier=ps-test', '--state', 'created'), [idle.id]);
    assert.deepEqual(await ids('-a', '--id', labelled.id.slice(0, 12)), [labelled.id]);
    assert.ok((await ids('-a', '--pod', podId)).includes(idle.id));
    assert.deepEqual(await ids('-a', '--pod', 'f'.repeat(12)), []);
    for (const c of [labelled, idle]) assert.equal((await crictl(stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
  });

  it('follows a running container with crictl logs -f until it exits', async () => {
    const c = await run(['sh', '-c', 'echo first; sleep 1; echo second; sleep 1; echo third']);
    const follow = await crictl(stack.criTs.socket, ['logs', '-f', c.id], 30);
    assert.equal(follow.code, 0, follow.stderr);
    assert.deepEqual(follow.stdout.split('\n').filter(Boolean), ['first', 'second', 'third']);
  });

  it('changes the memory limit of a running container with crictl update, in its cgroup and its status', async () => {
    const c = await run(['sleep', '300'], { linux: { resources: { memory_limit_in_bytes: 64 * 1024 * 1024 } } });
    const update = await crictl(stack.criTs.socket, ['update', '--memory', '100663296', c.id]);
    assert.equal(update.code, 0, update.stderr);
    const s = await crictlJson<{ status: { resources: { linux: { memoryLimitInBytes: string } } }; info: { pid: number } }>(stack.criTs.socket, ['inspect', c.id]);
    assert.equal(s.status.resources.linux.memoryLimitInBytes, '100663296');
    const cgroup = (await readFile(`/proc/${s.info.pid}/cgroup`, 'utf8')).split('\n').find((l) => /:memory:/.test(l))!.split(':')[2]!;
    assert.equal((await readFile(`/sys/fs/cgroup/memory${cgroup}/memory.limit_in_bytes`, 'utf8')).trim(), '100663296');
    assert.equal((await crictl(stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
  });

  it('applies the bind mount options of mount_options (noexec, nosuid) to a host path mount, and Status says it can', async () => {
    const dir = join(stack.dir, 'mount-options');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'hello.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    const mounts = [{ container_path: '/data', host_path: dir, mount_options: ['noexec', 'nosuid'] }];
    const c = await run(['sh', '-c', 'grep " /data " /proc/mounts; /data/hello.sh; echo "exit=$?"'], { mounts });
    await waitExited(c.id);
    const text = await readFile(c.logPath, 'utf8');
    const mountLine = text.split('\n').find((l) => l.includes(' /data '));
    assert.ok(mountLine && /[ ,]noexec[ ,]/.test(mountLine) && /[ ,]nosuid[ ,]/.test(mountLine), `mounted noexec,nosuid: ${mountLine}`);
    assert.match(text, /exit=126/, 'a script on a noexec mount cannot run');
    assert.doesNotMatch(text, / ran$/m);
    const cri = criClient(stack.criTs.socket);
    try {
      assert.equal((await cri.runtime.Status({ verbose: false })).features?.mountOptions, true);
    } finally {
      cri.close();
    }
  });

  it('passes a UTF-8 env value to the process unchanged, and refuses one that is not UTF-8 naming the variable', async () => {
    const cri = criClient(stack.criTs.socket);
    try {
      const config = (name: string, value: Buffer) => ({
        metadata: { name },
        image: { image: BUSYBOX_IMAGE },
        command: ['sh', '-c', 'printf "%s\\n" "$GREETING"'],
        envs: [{ key: 'GREETING', value }],
        logPath: `${name}.log`,
      });
      const { containerId } = await cri.runtime.CreateContainer({ podSandboxId: podId, config: config('env-utf8', Buffer.from('héllo ✓ wörld')) });
      await cri.runtime.StartContainer({ containerId });
      await waitExited(containerId);
      const line = (await readFile(join(fixture.logDir, 'env-utf8.log'), 'utf8')).split('\n').find(Boolean)!;
      assert.equal(line.replace(CRI_LINE, ''), 'héllo ✓ wörld');
      await assert.rejects(
        cri.runtime.CreateContainer({ podSandboxId: podId, config: config('env-bad', Buffer.from([0x66, 0xff, 0xfe])) }),
        (e: unknown) => grpcCode(e) === 'INVALID_ARGUMENT' && /config\.envs\[0\] \(GREETING\): value is not valid UTF-8/.test(String(e)),
      );
    } finally {
      cri.close();
    }
  });

  it('reports CPU and memory stats of a running container', async () => {
    const c = await run(['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30']);
    await new Promise((r) => setTimeout(r, 500));
    const stats = await crictlJson<{ stats: Array<{ attributes: { id: string }; cpu: { usageCoreNanoSeconds: { value: string } }; memory: { workingSetBytes: { value: string } } }> }>(
      stack.criTs.socket,
      ['stats', '--id', c.id],
    );
    const mine = stats.stats.find((s) => s.attributes.id === c.id);
    assert.ok(Number(mine?.cpu.usageCoreNanoSeconds.value) > 0);
    assert.ok(Number(mine?.memory.workingSetBytes.value) > 0);
    assert.equal((await crictl(stack.criTs.socket, ['rm', '-f', c.id])).code, 0);
  });
});

describe('many containers and bad container input', () => {
  let fixture: PodFixture;

  before(async () => {
    fixture = await startPodFixture('cmany', { bridge: 'critscm0', subnet: '10.216.0.0/16' });
  });

  after(async () => {
    await fixture?.stop();
  });

  it('creates and removes 100 containers leaving no record, snapshot or FIFO directory behind', async () => {
    const { stack } = fixture;
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 10) ids.push(...(await Promise.all(Array.from({ length: 10 }, () => fixture.create(['true'])))).map((c) => c.id));
    for (let i = 0; i < 100; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map(async (id) => assert.equal((await crictl(stack.criTs.socket, ['rm', id])).code, 0)));
    }
    const { containers } = await stack.client.containers.List({ filters: [] });
    assert.equal(containers.filter((c) => ids.includes(c.id)).length, 0);
    const snapshots: string[] = [];
    for await (const page of stack.client.listSnapshots({ snapshotter: 'overlayfs' })) snapshots.push(...page.info.map((s) => s.name));
    assert.equal(snapshots.filter((s) => ids.includes(s)).length, 0);
    const ioDirs = await readdir(join(stack.dir, 'cri-ts-state', 'containers')).catch(() => [] as string[]);
    assert.equal(ioDirs.filter((d) => ids.includes(d)).length, 0);
  });

  it('answers an unknown pod with NotFound, and a missing seccomp profile, a relative host path, an image mount and negative resources with InvalidArgument naming the field, leaving nothing behind', async () => {
    const cri = criClient(fixture.stack.criTs.socket);
    try {
      const config = { metadata: { name: 'bad' }, image: { image: BUSYBOX_IMAGE }, command: ['true'] };
      await assert.rejects(cri.runtime.CreateContainer({ podSandboxId: 'f'.repeat(64), config }), (e: unknown) => grpcCode(e) === 'NOT_FOUND');
      await assert.rejects(
        cri.runtime.CreateContainer({
          podSandboxId: fixture.podId,
          config: { ...config, linux: { securityContext: { seccomp: { profileType: 'Localhost', localhostRef: '/no/such/profile.json' } } } },
        }),
        (e: unknown) => grpcCode(e) === 'INVALID_ARGUMENT' && String(e).includes('/no/such/profile.json'),
      );
      const bad = async (extra: Record<string, unknown>, field: RegExp) =>
        assert.rejects(cri.runtime.CreateContainer({ podSandboxId: fixture.podId, config: { ...config, ...extra } }), (e: unknown) => grpcCode(e) === 'INVALID_ARGUMENT' && field.test(String(e)));
      await bad({ mounts: [{ containerPath: '/data', hostPath: 'relative/dir' }] }, /mounts\[0\]\.host_path "relative\/dir" must be an absolute path/);
      await bad({ mounts: [{ containerPath: '/data', image: { image: BUSYBOX_IMAGE } }] }, /mounts\[0\]\.readonly must be true: image volumes are read-only/);
      await bad({ linux: { resources: { memoryLimitInBytes: -5 } } }, /memory_limit_in_bytes -5 must not be negative/);
      await bad({ linux: { resources: { cpuShares: -2 } } }, /cpu_shares -2 must not be negative/);
      const { containers } = await fixture.stack.client.containers.List({ filters: [] });
      assert.equal(containers.some((c) => c.labels['io.cri-ts.kind'] === 'container'), false, 'nothing was left by the failed creations');
      const snapshots: string[] = [];
      for await (const page of fixture.stack.client.listSnapshots({ snapshotter: 'overlayfs' })) snapshots.push(...page.info.filter((i) => i.kind !== 'COMMITTED').map((i) => i.name));
      assert.deepEqual(snapshots.filter((name) => name !== fixture.podId), [], 'no container snapshot was left');
      const ioDirs = await readdir(join(fixture.stack.dir, 'cri-ts-state', 'containers')).catch(() => [] as string[]);
      assert.deepEqual(ioDirs, [], 'no FIFO directory was left');
    } finally {
      cri.close();
    }
  });
});
