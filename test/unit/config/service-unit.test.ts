import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { packageRoot } from '../../../src/package-paths.js';

/** A systemd unit as sections of key -> values (a key may repeat, as ExecStartPre does). */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a key in a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

describe('config/cri-ts.service', () => {
  const unit = parseUnit(readFileSync(`${packageRoot}config/cri-ts.service`, 'utf8'));
  const get = (section: string, key: string): string[] => unit.get(section)?.get(key) ?? [];
  const words = (section: string, key: string): string[] => get(section, key).flatMap((v) => v.split(/\s+/));

  it('stops only cri-ts, so container shims survive a restart, and delegates cgroups', () => {
    assert.deepEqual(get('Service', 'KillMode'), ['process']);
    assert.deepEqual(get('Service', 'Delegate'), ['yes']);
  });

  it('restarts after a failure, after a pause', () => {
    assert.ok(['always', 'on-failure'].includes(get('Service', 'Restart')[0] ?? ''), `Restart=${get('Service', 'Restart')}`);
    assert.match(get('Service', 'RestartSec')[0] ?? '', /^\d+s?$/);
  });

  it('starts after the network is up and before kubelet', () => {
    assert.ok(words('Unit', 'After').includes('network-online.target'));
    assert.ok(words('Unit', 'Wants').includes('network-online.target'));
    assert.ok(words('Unit', 'Before').includes('kubelet.service'));
    assert.deepEqual(get('Install', 'WantedBy'), ['multi-user.target']);
  });

  it('runs `cri-ts serve` with the installed config, with containerd\'s limits', () => {
    assert.deepEqual(get('Service', 'ExecStart'), ['/usr/local/bin/cri-ts serve --config /etc/cri-ts/config.toml']);
    assert.deepEqual(get('Service', 'LimitNPROC'), ['infinity']);
    assert.deepEqual(get('Service', 'LimitCORE'), ['infinity']);
    assert.deepEqual(get('Service', 'TasksMax'), ['infinity']);
    assert.deepEqual(get('Service', 'OOMScoreAdjust'), ['-999']);
  });
});
