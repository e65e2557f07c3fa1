import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseHostsToml, resolveRegistryEndpoints } from '../../../src/image/registry/hosts-config.js';

describe('registry hosts configuration', () => {
  it('lists [host] entries in file order, then the server', () => {
    const endpoints = parseHostsToml(
      `server = "https://registry.example"
[host."http://127.0.0.1:5000"]
capabilities = ["pull", "resolve"]
[host."https://mirror.example/path"]
capabilities = ["pull"]
skip_verify = true
ca = "/etc/ca.pem"
override_path = true
[host."https://mirror.example/path".header]
x-token = "abc"
`,
      'registry.example',
      'hosts.toml',
    );
    assert.deepEqual(endpoints.map((e) => e.apiBase), ['http://127.0.0.1:5000/v2', 'https://mirror.example/path', 'https://registry.example/v2']);
    assert.deepEqual([...endpoints[1]!.capabilities], ['pull']);
    assert.equal(endpoints[1]!.skipVerify, true);
    assert.deepEqual(endpoints[1]!.caFiles, ['/etc/ca.pem']);
    assert.deepEqual(endpoints[1]!.headers, { 'x-token': 'abc' });
    assert.equal(endpoints[2]!.isUpstream, true);
    assert.equal(endpoints[0]!.isUpstream, false);
  });

  it('adds the registry itself when no server is named', () => {
    const endpoints = parseHostsToml('[host."https://m.example"]\n', 'docker.io', 'hosts.toml');
    assert.deepEqual(endpoints.map((e) => e.apiBase), ['https://m.example/v2', 'https://registry-1.docker.io/v2']);
  });

  it('refuses an unknown capability, naming the file and host', () => {
    assert.throws(() => parseHostsToml('[host."https://m"]\ncapabilities = ["pul"]\n', 'x', '/etc/h.toml'), /\/etc\/h\.toml: capability "pul" of host "https:\/\/m"/);
  });

  it('uses config_path/HOST/hosts.toml, then _default, then the mirrors table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cri-ts-hosts-'));
    try {
      await mkdir(join(dir, 'registry.k8s.io'));
      await writeFile(join(dir, 'registry.k8s.io', 'hosts.toml'), 'server = "https://registry.k8s.io"\n[host."http://127.0.0.1:5000"]\n');
      const fromFile = await resolveRegistryEndpoints({ configPath: dir, mirrors: {} }, 'registry.k8s.io');
      assert.deepEqual(fromFile.map((e) => e.apiBase), ['http://127.0.0.1:5000/v2', 'https://registry.k8s.io/v2']);

      const mirrors = { 'gcr.io': { endpoints: ['http://127.0.0.1:5000'] } };
      const fromTable = await resolveRegistryEndpoints({ configPath: dir, mirrors }, 'gcr.io');
      assert.deepEqual(fromTable.map((e) => e.apiBase), ['http://127.0.0.1:5000/v2', 'https://gcr.io/v2']);

      await mkdir(join(dir, '_default'));
      await writeFile(join(dir, '_default', 'hosts.toml'), '[host."https://fallback.example"]\n');
      const fromDefault = await resolveRegistryEndpoints({ configPath: dir, mirrors }, 'quay.io');
      assert.deepEqual(fromDefault.map((e) => e.apiBase), ['https://fallback.example/v2', 'https://quay.io/v2']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('speaks plain HTTP to a loopback registry with no configuration', async () => {
    const endpoints = await resolveRegistryEndpoints({ configPath: '', mirrors: {} }, '127.0.0.1:5000');
    assert.deepEqual(endpoints.map((e) => e.apiBase), ['http://127.0.0.1:5000/v2']);
  });
});
