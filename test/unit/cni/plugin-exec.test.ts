import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  CniPluginError,
  cniArgsString,
  findPluginBinary,
  pluginEnv,
  pluginFailure,
  podCniArgs,
  runPlugin,
} from '../../../src/cni/plugin-exec.js';
import { CriError } from '../../../src/errors.js';
import { metrics } from '../../../src/metrics/metrics.js';
import { parsePrometheusText, sumOf } from '../../harness/prometheus-text.js';
import { makeTestDir } from '../../harness/test-dir.js';
import { readCalls, writeFakePlugin } from './fake-plugins.js';

const silent = pino({ level: 'silent' });

describe('CNI_ARGS', () => {
  it('carries the pod identity and IgnoreUnknown=1', () => {
    const args = podCniArgs({ podNamespace: 'default', podName: 'web-0', podId: 'abc123', podUid: 'u-1' });
    assert.equal(cniArgsString(args), 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=u-1;IgnoreUnknown=1');
  });

  it('refuses values that would break the list', () => {
    assert.throws(() => cniArgsString([['K8S_POD_NAME', 'a;b']]), (err: unknown) => err instanceof CriError && err.kind === 'InvalidArgument');
    assert.throws(() => cniArgsString([['A=B', 'x']]), /CNI_ARGS key/);
  });

  it('builds the plugin environment', () => {
    const env = pluginEnv(
      { command: 'ADD', network: 'n', pluginType: 'bridge', input: {}, containerId: 'c1', netns: '/var/run/netns/x', ifName: 'eth0', cniArgs: [['A', '1']] },
      ['/opt/cni/bin', '/usr/lib/cni'],
    );
    assert.equal(env.CNI_COMMAND, 'ADD');
    assert.equal(env.CNI_CONTAINERID, 'c1');
    assert.equal(env.CNI_NETNS, '/var/run/netns/x');
    assert.equal(env.CNI_IFNAME, 'eth0');
    assert.equal(env.CNI_ARGS, 'A=1');
    assert.equal(env.CNI_PATH, '/opt/cni/bin:/usr/lib/cni');
    assert.ok(env.PATH);
    const status = pluginEnv({ command: 'STATUS', network: 'n', pluginType: 'bridge', input: {} }, ['/b']);
    assert.deepEqual(Object.keys(status).sort(), ['CNI_COMMAND', 'CNI_PATH', 'PATH']);
  });
});

describe('plugin error formatting', () => {
  it('names the network, plugin, CNI code and msg from the error JSON', () => {
    const err = pluginFailure({
      network: 'podnet',
      pluginType: 'host-local',
      command: 'ADD',
      stdout: JSON.stringify({ cniVersion: '1.0.0', code: 7, msg: 'invalid subnet', details: 'no /33 in IPv4' }),
      stderr: '',
      exitCode: 1,
    });
    assert.ok(err instanceof CniPluginError);
    assert.equal(err.kind, 'FailedPrecondition');
    assert.equal(err.cniCode, 7);
    assert.equal(err.cniMsg, 'invalid subnet');
    assert.equal(
      err.message,
      'CNI plugin "host-local" of network "podnet" failed on ADD: CNI error code 7 (invalid network config): invalid subnet; details: no /33 in IPv4',
    );
  });

  it('maps retryable codes to Unavailable and plugin-specific ones to Internal', () => {
    const retry = pluginFailure({ network: 'n', pluginType: 'p', command: 'ADD', stdout: '{"code":11,"msg":"busy"}', stderr: '' });
    assert.equal(retry.kind, 'Unavailable');
    const own = pluginFailure({ network: 'n', pluginType: 'p', command: 'DEL', stdout: '{"code":100,"msg":"oops"}', stderr: '' });
    assert.equal(own.kind, 'Internal');
    assert.match(own.message, /failed on DEL: CNI error code 100: oops$/);
  });

  it('falls back to stderr when the plugin printed no error JSON', () => {
    const err = pluginFailure({ network: 'n', pluginType: 'p', command: 'ADD', stdout: '', stderr: 'panic: boom\n', exitCode: 2 });
    assert.equal(err.message, 'CNI plugin "p" of network "n" failed on ADD (exit code 2): panic: boom');
    assert.equal(err.cniCode, undefined);
  });
});

describe('running a plugin', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  let binA: string;
  let binB: string;

  before(async () => {
    testDir = await makeTestDir('cni-exec');
    binA = join(testDir.dir, 'binA');
    binB = join(testDir.dir, 'binB');
    await mkdir(binA);
    await mkdir(binB);
    await writeFakePlugin(binB, 'good');
    await writeFakePlugin(binA, 'failing', {
      failOn: { command: 'ADD', exitCode: 1, stdout: JSON.stringify({ cniVersion: '1.0.0', code: 5, msg: 'disk on fire' }) },
    });
    await writeFakePlugin(binA, 'slow', { sleepSeconds: 5 });
    await writeFakePlugin(binA, 'garbage', { addOutput: 'not json' });
  });

  after(async () => {
    await testDir?.remove();
  });

  it('finds the binary in the first dir that has it, or names all dirs', async () => {
    assert.equal(await findPluginBinary('good', [binA, binB], 'n'), join(binB, 'good'));
    await assert.rejects(findPluginBinary('missing', [binA, binB], 'podnet'), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.kind, 'FailedPrecondition');
      assert.match(err.message, /CNI plugin "missing" of network "podnet" was not found in .*binA, .*binB/);
      return true;
    });
    await assert.rejects(findPluginBinary('../good', [binA], 'n'), /plain binary name/);
  });

  it('passes env and stdin and returns the parsed result', async () => {
    const out = await runPlugin(
      {
        command: 'ADD',
        network: 'n',
        pluginType: 'good',
        input: { cniVersion: '1.0.0', name: 'n', type: 'good' },
        containerId: 'pod1',
        netns: '/var/run/netns/p',
        ifName: 'eth0',
        cniArgs: [['K', 'v']],
      },
      { binDirs: [binA, binB], log: silent },
    );
    assert.equal((out?.dns as { domain: string }).domain, 'good');
    const calls = await readCalls(binB);
    assert.equal(calls.length, 1);
    assert.deepEqual(
      { command: calls[0]?.command, containerId: calls[0]?.containerId, netns: calls[0]?.netns, ifName: calls[0]?.ifName, args: calls[0]?.args },
      { command: 'ADD', containerId: 'pod1', netns: '/var/run/netns/p', ifName: 'eth0', args: 'K=v' },
    );
    assert.equal(calls[0]?.path, `${binA}:${binB}`);
    assert.deepEqual(calls[0]?.input, { cniVersion: '1.0.0', name: 'n', type: 'good' });
  });

  it('turns the error JSON into a CniPluginError', async () => {
    await assert.rejects(
      runPlugin({ command: 'ADD', network: 'n', pluginType: 'failing', input: {} }, { binDirs: [binA], log: silent }),
      (err: unknown) => err instanceof CniPluginError && err.cniCode === 5 && /"failing" of network "n" failed on ADD: CNI error code 5 \(I\/O failure\): disk on fire/.test(err.message),
    );
  });

  it('refuses output that is not JSON', async () => {
    await assert.rejects(
      runPlugin({ command: 'ADD', network: 'n', pluginType: 'garbage', input: {} }, { binDirs: [binA], log: silent }),
      /"garbage" of network "n" printed non-JSON output on ADD/,
    );
  });

  it('times each plugin call in the CNI family, by plugin, command and result', async () => {
    const { registry } = await metrics.enable();
    const scrape = async () => parsePrometheusText(await registry.metrics());
    const before = await scrape();
    await runPlugin({ command: 'DEL', network: 'n', pluginType: 'good', input: {} }, { binDirs: [binA, binB], log: silent });
    await runPlugin({ command: 'ADD', network: 'n', pluginType: 'failing', input: {} }, { binDirs: [binA], log: silent }).catch(() => undefined);
    const after = await scrape();
    const delta = (labels: Record<string, string>) =>
      sumOf(after, 'cri_ts_cni_plugin_duration_seconds_count', labels) - sumOf(before, 'cri_ts_cni_plugin_duration_seconds_count', labels);
    assert.equal(delta({ plugin: 'good', command: 'DEL', result: 'success' }), 1);
    assert.equal(delta({ plugin: 'failing', command: 'ADD', result: 'failure' }), 1);
    assert.equal(delta({ plugin: 'failing', command: 'ADD', result: 'success' }), 0);
  });

  it('kills a plugin that takes longer than the timeout', async () => {
    const started = Date.now();
    await assert.rejects(
      runPlugin({ command: 'ADD', network: 'n', pluginType: 'slow', input: {} }, { binDirs: [binA], log: silent, timeoutMs: 300 }),
      (err: unknown) => err instanceof CriError && err.kind === 'DeadlineExceeded' && /"slow" of network "n" did not finish ADD within 300 ms/.test(err.message),
    );
    assert.ok(Date.now() - started < 4_000);
  });
});
