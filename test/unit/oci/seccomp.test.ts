import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import type { OciSeccomp } from '../../../src/oci/oci-types.js';
import { DEFAULT_CAPABILITIES, defaultSpec } from '../../../src/oci/default-spec.js';
import {
  parseLegacySeccompProfilePath,
  parseSeccompProfile,
  seccompProfileFor,
  withSeccomp,
  type SecurityProfileRef,
} from '../../../src/oci/seccomp.js';

// The profiles critest writes.
const BLOCK_CHMOD = `{
     "defaultAction": "SCMP_ACT_ALLOW",
     "syscalls": [
         {
             "names": ["chmod", "fchmodat"],
             "action": "SCMP_ACT_ERRNO"
         }
     ]
}`;
const BLOCK_HOSTNAME = '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["sethostname"],"action":"SCMP_ACT_ERRNO"}]}';

const opts = { privileged: false, capabilities: DEFAULT_CAPABILITIES, arch: 'x64' as const, kernel: '6.1.0' };
const ctx = (seccomp: SecurityProfileRef | null, seccompProfilePath = '') => ({ seccomp, seccompProfilePath });
const profile = (profileType: SecurityProfileRef['profileType'], localhostRef = ''): SecurityProfileRef => ({ profileType, localhostRef });

function invalid(pattern: RegExp) {
  return (err: unknown): boolean => err instanceof InvalidArgumentError && pattern.test(err.message);
}

describe('seccompProfileFor', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-seccomp-'));
    await writeFile(join(dir, 'block-chmod.json'), BLOCK_CHMOD);
    await writeFile(join(dir, 'block-host-name.json'), BLOCK_HOSTNAME);
    await writeFile(join(dir, 'broken.json'), '{"defaultAction": ');
    await writeFile(join(dir, 'no-action.json'), '{"syscalls": []}');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('is none without a profile and for Unconfined', async () => {
    assert.equal(await seccompProfileFor(ctx(null), opts), undefined);
    assert.equal(await seccompProfileFor(ctx(profile('Unconfined')), opts), undefined);
  });

  it('is the built-in default for RuntimeDefault, shaped by the capabilities', async () => {
    const plain = await seccompProfileFor(ctx(profile('RuntimeDefault')), opts);
    assert.equal(plain?.defaultAction, 'SCMP_ACT_ERRNO');
    const hasMount = (p: OciSeccomp | undefined): boolean => (p?.syscalls ?? []).some((r) => r.names.includes('mount') && r.action === 'SCMP_ACT_ALLOW');
    assert.equal(hasMount(plain), false);
    const admin = await seccompProfileFor(ctx(profile('RuntimeDefault')), { ...opts, capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] });
    assert.equal(hasMount(admin), true);
  });

  it('is none for a privileged container, whatever the profile', async () => {
    const missing = profile('Localhost', join(dir, 'missing.json'));
    assert.equal(await seccompProfileFor(ctx(missing), { ...opts, privileged: true }), undefined);
    assert.equal(await seccompProfileFor(ctx(profile('RuntimeDefault')), { ...opts, privileged: true }), undefined);
  });

  it('reads a Localhost profile from the node', async () => {
    const p = await seccompProfileFor(ctx(profile('Localhost', join(dir, 'block-chmod.json'))), opts);
    assert.deepEqual(p, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] });
    const prefixed = await seccompProfileFor(ctx(profile('Localhost', `localhost/${join(dir, 'block-host-name.json')}`)), opts);
    assert.deepEqual(prefixed?.syscalls?.[0]?.names, ['sethostname']);
  });

  it('refuses a Localhost reference that is not an absolute path', async () => {
    await assert.rejects(seccompProfileFor(ctx(profile('Localhost', 'profiles/a.json')), opts), invalid(/linux\.security_context\.seccomp\.localhost_ref "profiles\/a\.json".*absolute/));
    await assert.rejects(seccompProfileFor(ctx(profile('Localhost', '')), opts), invalid(/localhost_ref/));
  });

  it('refuses a missing or invalid profile file, naming the path', async () => {
    const missing = join(dir, 'missing.json');
    await assert.rejects(seccompProfileFor(ctx(profile('Localhost', missing)), opts), invalid(new RegExp(`localhost_ref.*${missing.replace(/[.]/g, '\\.')}`)));
    await assert.rejects(seccompProfileFor(ctx(profile('Localhost', join(dir, 'broken.json'))), opts), invalid(/broken\.json.*not JSON/));
    await assert.rejects(seccompProfileFor(ctx(profile('Localhost', join(dir, 'no-action.json'))), opts), invalid(/no-action\.json.*defaultAction/));
  });

  it('refuses localhost_ref with another profile type', async () => {
    await assert.rejects(seccompProfileFor(ctx(profile('RuntimeDefault', '/x.json')), opts), invalid(/only allowed with profile_type Localhost/));
  });

  it('understands the deprecated seccomp_profile_path', async () => {
    assert.deepEqual(parseLegacySeccompProfilePath(''), null);
    assert.deepEqual(parseLegacySeccompProfilePath('runtime/default'), profile('RuntimeDefault'));
    assert.deepEqual(parseLegacySeccompProfilePath('docker/default'), profile('RuntimeDefault'));
    assert.deepEqual(parseLegacySeccompProfilePath('unconfined'), profile('Unconfined'));
    assert.deepEqual(parseLegacySeccompProfilePath('localhost//var/lib/x.json'), profile('Localhost', '/var/lib/x.json'));
    assert.throws(() => parseLegacySeccompProfilePath('strict'), invalid(/seccomp_profile_path "strict"/));

    assert.equal((await seccompProfileFor(ctx(null, 'runtime/default'), opts))?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(await seccompProfileFor(ctx(null, 'unconfined'), opts), undefined);
    const file = await seccompProfileFor(ctx(null, `localhost/${join(dir, 'block-chmod.json')}`), opts);
    assert.equal(file?.defaultAction, 'SCMP_ACT_ALLOW');
    await assert.rejects(seccompProfileFor(ctx(null, 'localhost/relative.json'), opts), invalid(/seccomp_profile_path "relative\.json"/));
  });

  it('prefers the structured field over the deprecated one', async () => {
    assert.equal(await seccompProfileFor(ctx(profile('Unconfined'), 'runtime/default'), opts), undefined);
  });

  it('sets and clears linux.seccomp', async () => {
    const spec = defaultSpec();
    withSeccomp(spec, await seccompProfileFor(ctx(profile('RuntimeDefault')), opts));
    assert.equal(spec.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    withSeccomp(spec, undefined);
    assert.equal(spec.linux?.seccomp, undefined);
  });
});

describe('parseSeccompProfile', () => {
  it('keeps the OCI fields and checks them', () => {
    const p = parseSeccompProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        architectures: ['SCMP_ARCH_X86_64'],
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }], comment: 'x' }],
      }),
      '/p.json',
    );
    assert.deepEqual(p, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }],
    });
    assert.throws(() => parseSeccompProfile('[]', '/p.json'), invalid(/"\/p\.json".*object/));
    assert.throws(() => parseSeccompProfile('{"defaultAction":"ALLOW"}', '/p.json'), invalid(/defaultAction/));
    assert.throws(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}', '/p.json'), invalid(/syscalls\[0\]\.names/));
    assert.throws(
      () => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}', '/p.json'),
      invalid(/args\[0\]\.index/),
    );
  });

  it('reads docker-format profiles: archMap and single names', () => {
    if (process.arch !== 'x64') return;
    const p = parseSeccompProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        archMap: [
          { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
          { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
        ],
        syscalls: [{ name: 'read', action: 'SCMP_ACT_ALLOW', includes: {}, excludes: {} }],
      }),
      '/docker.json',
    );
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(p.syscalls, [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }]);
  });
});
