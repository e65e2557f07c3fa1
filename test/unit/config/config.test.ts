import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, configFromToml, parseConfigText } from '../../../src/config/config.js';
import { resolveRestrictOomScoreAdj } from '../../../src/config/effective.js';
import { defaultConfigFile } from '../../../src/package-paths.js';

function configError(text: string): string {
  try {
    parseConfigText(text, 'test.toml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('config was accepted');
}

describe('config', () => {
  it('the shipped default file says exactly what the built-in defaults are', () => {
    const fromFile = parseConfigText(readFileSync(defaultConfigFile, 'utf8'), defaultConfigFile);
    assert.deepEqual(fromFile, configFromToml({}));
  });

  it('defaults follow containerd CRI conventions', () => {
    const config = configFromToml({});
    assert.equal(config.grpcAddress, '/run/cri-ts/cri-ts.sock');
    assert.equal(config.containerd.namespace, 'k8s.io');
    assert.equal(config.containerd.defaultRuntimeName, 'runc');
    assert.equal(config.containerd.runtimes.runc?.runtimeType, 'io.containerd.runc.v2');
    assert.equal(config.containerd.managed.enabled, true);
    assert.equal(config.restrictOomScoreAdj, 'auto');
    assert.equal(config.cni.confDir, '/etc/cni/net.d');
  });

  it('serves no metrics unless [metrics] address is set, and takes HOST:PORT there', () => {
    assert.equal(configFromToml({}).metrics.address, '');
    assert.equal(parseConfigText('[metrics]\naddress = "127.0.0.1:1338"\n', 'test.toml').metrics.address, '127.0.0.1:1338');
    assert.equal(parseConfigText('[metrics]\naddress = "[::1]:1338"\n', 'test.toml').metrics.address, '[::1]:1338');
    assert.match(configError('[metrics]\naddress = "1338"\n'), /`metrics\.address`: must be HOST:PORT such as "127\.0\.0\.1:1338".*got string "1338"/);
    assert.match(configError('[metrics]\naddress = "127.0.0.1:1338"\ngrpc_histogram = true\n'), /metrics\.grpc_histogram/);
  });

  it('reads nested keys, durations and runtime handlers', () => {
    const config = parseConfigText(
      `
sandbox_image = "example.com/pause:1"
stream_idle_timeout = "1h30m"
restrict_oom_score_adj = true
[containerd]
timeout = "500ms"
default_runtime_name = "crun"
[containerd.runtimes.crun]
runtime_type = "io.containerd.runc.v2"
[containerd.runtimes.crun.options]
BinaryName = "/usr/bin/crun"
[registry.mirrors."registry.k8s.io"]
endpoint = ["http://127.0.0.1:5000"]
`,
      't.toml',
    );
    assert.equal(config.sandboxImage, 'example.com/pause:1');
    assert.equal(config.streamIdleTimeoutMs, 90 * 60_000);
    assert.equal(config.restrictOomScoreAdj, true);
    assert.equal(config.containerd.callTimeoutMs, 500);
    assert.deepEqual(config.containerd.runtimes.crun?.options, { BinaryName: '/usr/bin/crun' });
    assert.deepEqual(config.registry.mirrors['registry.k8s.io'], { endpoints: ['http://127.0.0.1:5000'] });
  });

  it('names an unknown key and the keys allowed there', () => {
    const message = configError('[containerd]\nadress = "/x.sock"\n');
    assert.match(message, /unknown config key `containerd\.adress`/);
    assert.match(message, /keys allowed here: .*address/);
  });

  it('names a key with the wrong type and what is allowed', () => {
    assert.match(configError('max_conf_num = 1\n[cni]\nmax_conf_num = "two"\n'), /`max_conf_num`|`cni\.max_conf_num`/);
    assert.match(configError('[cni]\nmax_conf_num = "two"\n'), /`cni\.max_conf_num`: must be an integer from 0 to 1000/);
    assert.match(configError('cgroup_driver = "systemdd"\n'), /`cgroup_driver`: must be one of "cgroupfs", "systemd"/);
    assert.match(configError('[containerd]\ntimeout = "10 seconds"\n'), /`containerd\.timeout`: must be a duration/);
    assert.match(configError('root = "relative/dir"\n'), /`root`: must be an absolute path/);
    assert.match(configError('restrict_oom_score_adj = "maybe"\n'), /`restrict_oom_score_adj`: must be true, false or "auto"/);
  });

  it('refuses a default runtime that is not defined', () => {
    assert.match(
      configError('[containerd]\ndefault_runtime_name = "kata"\n'),
      /`containerd\.default_runtime_name`: must name a runtime defined under \[containerd\.runtimes\] \(defined: runc\)/,
    );
  });

  it('refuses a mirror endpoint that is not a URL', () => {
    assert.match(
      configError('[registry.mirrors."docker.io"]\nendpoint = ["mirror.local"]\n'),
      /`registry\.mirrors\."docker\.io"\.endpoint`: must hold URLs/,
    );
  });

  it('reports TOML syntax errors with the file name', () => {
    assert.match(configError('root = \n'), /^test\.toml: not valid TOML/);
  });

  it('NRI is off unless [nri] enable says so, with containerd\'s socket, paths and timeouts', () => {
    const defaults = configFromToml({}).nri;
    assert.deepEqual(defaults, {
      enable: false,
      socketPath: '/var/run/nri/nri.sock',
      pluginPath: '/opt/nri/plugins',
      pluginConfigPath: '/etc/nri/conf.d',
      pluginRegistrationTimeoutMs: 5000,
      pluginRequestTimeoutMs: 2000,
      disableConnections: false,
    });
    const on = parseConfigText('[nri]\nenable = true\nsocket_path = "/run/x/nri.sock"\nplugin_request_timeout = "500ms"\n', 'test.toml').nri;
    assert.deepEqual([on.enable, on.socketPath, on.pluginRequestTimeoutMs], [true, '/run/x/nri.sock', 500]);
    assert.match(configError('[nri]\nsocket_path = "nri.sock"\n'), /`nri\.socket_path`/);
    assert.match(configError('[nri]\nplugin_request_timeout = "2"\n'), /`nri\.plugin_request_timeout`: must be a duration/);
    assert.match(configError('[nri]\ndisable = true\n'), /nri\.disable/);
  });

  it('streams on loopback without TLS by default; a TLS certificate and key go together', () => {
    const defaults = configFromToml({});
    assert.deepEqual([defaults.streamServerAddress, defaults.enableTlsStreaming, defaults.streamTlsCertFile, defaults.streamTlsKeyFile], ['127.0.0.1', false, '', '']);
    const pair = parseConfigText('enable_tls_streaming = true\n[x509_key_pair_streaming]\ntls_cert_file = "/etc/c.pem"\ntls_key_file = "/etc/k.pem"\n', 'test.toml');
    assert.deepEqual([pair.enableTlsStreaming, pair.streamTlsCertFile, pair.streamTlsKeyFile], [true, '/etc/c.pem', '/etc/k.pem']);
    assert.match(configError('[x509_key_pair_streaming]\ntls_cert_file = "/etc/c.pem"\n'), /`x509_key_pair_streaming\.tls_key_file`: must be set together/);
    assert.match(configError('[x509_key_pair_streaming]\ntls_cert_file = "c.pem"\ntls_key_file = "/k"\n'), /must be an absolute path/);
  });

  it('restrict_oom_score_adj "auto" follows CAP_SYS_RESOURCE', () => {
    assert.equal(resolveRestrictOomScoreAdj('auto', false), true);
    assert.equal(resolveRestrictOomScoreAdj('auto', true), false);
    assert.equal(resolveRestrictOomScoreAdj(false, false), false);
    assert.equal(resolveRestrictOomScoreAdj(true, true), true);
  });
});
