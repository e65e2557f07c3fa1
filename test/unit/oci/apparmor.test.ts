import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import {
  DEFAULT_APPARMOR_PROFILE,
  apparmorProfileFor,
  parseLegacyAppArmorProfile,
  readAppArmorHost,
  withAppArmorProfile,
  type AppArmorHost,
} from '../../../src/oci/apparmor.js';
import { defaultSpec } from '../../../src/oci/default-spec.js';
import type { SecurityProfileRef } from '../../../src/oci/seccomp.js';

const DENY_WRITE = 'cri-validate-apparmor-test-deny-write';

const ctx = (apparmor: SecurityProfileRef | null, apparmorProfile = '') => ({ apparmor, apparmorProfile });
const profile = (profileType: SecurityProfileRef['profileType'], localhostRef = ''): SecurityProfileRef => ({ profileType, localhostRef });
function invalid(pattern: RegExp) {
  return (err: unknown): boolean => err instanceof InvalidArgumentError && pattern.test(err.message);
}

describe('readAppArmorHost', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-apparmor-'));
    for (const [name, enabled] of [['on', 'Y\n'], ['off', 'N\n']] as const) {
      await mkdir(join(dir, name, 'sys/kernel/security/apparmor'), { recursive: true });
      await mkdir(join(dir, name, 'sys/module/apparmor/parameters'), { recursive: true });
      await writeFile(join(dir, name, 'sys/module/apparmor/parameters/enabled'), enabled);
      await writeFile(
        join(dir, name, 'sys/kernel/security/apparmor/profiles'),
        `${DENY_WRITE} (enforce)\ncri-validate-apparmor-test-audit-write (enforce)\n/usr/bin/man (complain)\nsnap update ns (unconfined)\n`,
      );
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('sees AppArmor and its loaded profiles', async () => {
    const host = await readAppArmorHost(join(dir, 'on'));
    assert.equal(host.enabled, true);
    assert.deepEqual([...host.loadedProfiles], [DENY_WRITE, 'cri-validate-apparmor-test-audit-write', '/usr/bin/man', 'snap update ns']);
  });

  it('sees no AppArmor when the module is off or securityfs lacks it', async () => {
    assert.equal((await readAppArmorHost(join(dir, 'off'))).enabled, false);
    assert.equal((await readAppArmorHost(join(dir, 'nothing-here'))).enabled, false);
  });
});

describe('apparmorProfileFor', () => {
  const on: AppArmorHost = { enabled: true, loadedProfiles: new Set([DENY_WRITE, DEFAULT_APPARMOR_PROFILE]) };
  const onWithoutDefault: AppArmorHost = { enabled: true, loadedProfiles: new Set([DENY_WRITE]) };
  const off: AppArmorHost = { enabled: false, loadedProfiles: new Set() };

  it('uses a loaded Localhost profile, with or without the localhost/ prefix', async () => {
    assert.equal(await apparmorProfileFor(ctx(profile('Localhost', `localhost/${DENY_WRITE}`)), false, on), DENY_WRITE);
    assert.equal(await apparmorProfileFor(ctx(profile('Localhost', DENY_WRITE)), false, on), DENY_WRITE);
  });

  it('refuses a Localhost profile that is not loaded (critest: should fail with an unloaded apparmor_profile)', async () => {
    await assert.rejects(apparmorProfileFor(ctx(profile('Localhost', 'localhost/non-existent-profile')), false, on), invalid(/"non-existent-profile" is not loaded/));
    await assert.rejects(apparmorProfileFor(ctx(null, 'localhost/non-existent-profile'), false, on), invalid(/apparmor_profile.*not loaded/));
  });

  it('refuses a Localhost profile on a node without AppArmor', async () => {
    await assert.rejects(apparmorProfileFor(ctx(profile('Localhost', `localhost/${DENY_WRITE}`)), false, off), invalid(/localhost_ref.*no AppArmor/));
    await assert.rejects(apparmorProfileFor(ctx(profile('Localhost', '')), false, on), invalid(/must name an AppArmor profile/));
  });

  it('means none for RuntimeDefault, unset and Unconfined on a node without AppArmor', async () => {
    assert.equal(await apparmorProfileFor(ctx(profile('RuntimeDefault')), false, off), undefined);
    assert.equal(await apparmorProfileFor(ctx(null), false, off), undefined);
    assert.equal(await apparmorProfileFor(ctx(profile('Unconfined')), false, off), undefined);
    assert.equal(await apparmorProfileFor(ctx(null, 'runtime/default'), false, off), undefined);
  });

  it("uses containerd's default profile for RuntimeDefault when it is loaded, none otherwise", async () => {
    assert.equal(await apparmorProfileFor(ctx(profile('RuntimeDefault')), false, on), DEFAULT_APPARMOR_PROFILE);
    assert.equal(await apparmorProfileFor(ctx(null), false, on), DEFAULT_APPARMOR_PROFILE);
    assert.equal(await apparmorProfileFor(ctx(profile('RuntimeDefault')), false, onWithoutDefault), undefined);
    assert.equal(await apparmorProfileFor(ctx(profile('Unconfined')), false, on), undefined);
  });

  it('gives a privileged container no default profile but keeps a Localhost one', async () => {
    assert.equal(await apparmorProfileFor(ctx(profile('RuntimeDefault')), true, on), undefined);
    assert.equal(await apparmorProfileFor(ctx(profile('Localhost', DENY_WRITE)), true, on), DENY_WRITE);
  });

  it('prefers the structured field over the deprecated one', async () => {
    const both = ctx(profile('Localhost', `localhost/${DENY_WRITE}`), 'localhost/non-existent-profile');
    assert.equal(await apparmorProfileFor(both, false, on), DENY_WRITE);
  });

  it('understands the deprecated apparmor_profile', () => {
    assert.equal(parseLegacyAppArmorProfile(''), null);
    assert.deepEqual(parseLegacyAppArmorProfile('runtime/default'), profile('RuntimeDefault'));
    assert.deepEqual(parseLegacyAppArmorProfile('unconfined'), profile('Unconfined'));
    assert.deepEqual(parseLegacyAppArmorProfile('localhost/foo'), profile('Localhost', 'foo'));
    assert.throws(() => parseLegacyAppArmorProfile('foo'), invalid(/apparmor_profile "foo"/));
  });

  it('refuses localhost_ref with another profile type', async () => {
    await assert.rejects(apparmorProfileFor(ctx(profile('Unconfined', 'x')), false, on), invalid(/only allowed with profile_type Localhost/));
  });

  it('sets and clears process.apparmorProfile', () => {
    const spec = defaultSpec();
    withAppArmorProfile(spec, DENY_WRITE);
    assert.equal(spec.process?.apparmorProfile, DENY_WRITE);
    withAppArmorProfile(spec, undefined);
    assert.equal(spec.process?.apparmorProfile, undefined);
  });
});
