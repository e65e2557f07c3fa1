import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fillConfTemplate, parsePodCidrs, writeConfFromTemplate } from '../../../src/cni/conf-template.js';
import { loadNetworkConfigs } from '../../../src/cni/network-config.js';
import { CriError } from '../../../src/errors.js';
import { makeTestDir } from '../../harness/test-dir.js';

const TEMPLATE = `{
  "cniVersion": "1.0.0",
  "name": "k8s-pod-network",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
      "ipam": {
        "type": "host-local",
        "ranges": [ {{.PodCIDRRanges}} ],
        "routes": [ {{ .Routes }} ],
        "comment": "first {{.PodCIDR}}"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
`;

describe('CNI config template', () => {
  let testDir: Awaited<ReturnType<typeof makeTestDir>>;
  before(async () => {
    testDir = await makeTestDir('cni-tmpl');
  });
  after(async () => {
    await testDir?.remove();
  });

  it('fills PodCIDR, PodCIDRRanges and Routes', () => {
    const text = fillConfTemplate(TEMPLATE, ['10.88.0.0/16', 'fd00:10::/64']);
    const doc = JSON.parse(text) as { plugins: Array<{ ipam?: { ranges: unknown; routes: unknown; comment: string } }> };
    const ipam = doc.plugins[0]?.ipam;
    assert.deepEqual(ipam?.ranges, [[{ subnet: '10.88.0.0/16' }], [{ subnet: 'fd00:10::/64' }]]);
    assert.deepEqual(ipam?.routes, [{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
    assert.equal(ipam?.comment, 'first 10.88.0.0/16');
  });

  it('refuses Go template actions it does not implement', () => {
    assert.throws(
      () => fillConfTemplate('{{range $i, $r := .PodCIDRRanges}}x{{end}}', ['10.0.0.0/8'], '/etc/t.json'),
      (err: unknown) => err instanceof CriError && /\/etc\/t\.json: unsupported action \{\{range/.test(err.message),
    );
  });

  it('checks the CIDRs', () => {
    assert.deepEqual(parsePodCidrs(' 10.1.0.0/16 , fd00::/64 '), ['10.1.0.0/16', 'fd00::/64']);
    assert.deepEqual(parsePodCidrs(''), []);
    assert.throws(() => parsePodCidrs('10.1.0.0'), /not a CIDR/);
    assert.throws(() => parsePodCidrs('10.1.0.0/40'), /not a CIDR/);
  });

  it('writes <confDir>/10-cri-ts-template.conflist that loads', async () => {
    const templatePath = join(testDir.dir, 'template.json');
    const confDir = join(testDir.dir, 'net.d');
    await writeFile(templatePath, TEMPLATE);
    const written = await writeConfFromTemplate(templatePath, confDir, '10.99.0.0/24');
    assert.equal(written, join(confDir, '10-cri-ts-template.conflist'));
    assert.deepEqual(await readdir(confDir), ['10-cri-ts-template.conflist']);
    assert.match(await readFile(join(confDir, '10-cri-ts-template.conflist'), 'utf8'), /"ranges": \[ \[\{"subnet": "10.99.0.0\/24"\}\] \]/);
    const [loaded] = await loadNetworkConfigs(confDir, 1);
    assert.equal(loaded?.name, 'k8s-pod-network');
    assert.equal(await writeConfFromTemplate(templatePath, confDir, ''), undefined);
  });

  it('refuses a template that gives no valid config, and a missing template', async () => {
    const templatePath = join(testDir.dir, 'bad.json');
    await writeFile(templatePath, '{"name": "x", "plugins": [ {"subnet": "{{.PodCIDR}}"} ]}');
    await assert.rejects(writeConfFromTemplate(templatePath, join(testDir.dir, 'bad.d'), '10.0.0.0/8'), /does not give a valid network config: .*needs a "type"/);
    await assert.rejects(writeConfFromTemplate(join(testDir.dir, 'none.json'), testDir.dir, '10.0.0.0/8'), /cannot read CNI config template .*none\.json.*ENOENT/);
  });
});
