import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGroup, parsePasswd, resolveUser } from '../../../src/container/image-user.js';
import { CriError } from '../../../src/errors.js';

const passwd = parsePasswd(['root:x:0:0:root:/root:/bin/sh', 'default-user:x:1000:1000::/home/u:/bin/sh', 'nobody:x:65534:65534::/:/bin/false', 'broken line'].join('\n'));
const groups = parseGroup(['root:x:0:', 'default-user:x:1000:', 'group-defined-in-image:x:50000:default-user,other', 'staff:x:50:'].join('\n'));
const base = { imageUser: '', supplementalGroups: [], strictGroups: false };

describe('container user resolution', () => {
  it('runs as root when nothing names a user', () => {
    assert.deepEqual(resolveUser(base, passwd, groups), { uid: 0, gid: 0, additionalGids: [0] });
  });

  it('takes run_as_user and its primary group from /etc/passwd, with the image groups it belongs to (Merge)', () => {
    assert.deepEqual(resolveUser({ ...base, runAsUser: 1000, supplementalGroups: [1234] }, passwd, groups), { uid: 1000, gid: 1000, additionalGids: [1000, 50000, 1234] });
  });

  it('leaves the image groups out with the Strict policy', () => {
    assert.deepEqual(resolveUser({ ...base, runAsUser: 1000, supplementalGroups: [1234], strictGroups: true }, passwd, groups), { uid: 1000, gid: 1000, additionalGids: [1000, 1234] });
  });

  it('gives an unknown uid group 0, and run_as_group overrides the group', () => {
    assert.deepEqual(resolveUser({ ...base, runAsUser: 4242 }, passwd, groups).gid, 0);
    assert.deepEqual(resolveUser({ ...base, runAsUser: 1000, runAsGroup: 7 }, passwd, groups).gid, 7);
  });

  it('resolves run_as_username, and refuses a name the image does not know', () => {
    assert.equal(resolveUser({ ...base, runAsUsername: 'nobody' }, passwd, groups).uid, 65534);
    assert.throws(
      () => resolveUser({ ...base, runAsUsername: 'ghost' }, passwd, groups),
      (err: unknown) => err instanceof CriError && err.kind === 'FailedPrecondition' && err.message.includes('run_as_username') && err.message.includes('ghost'),
    );
  });

  it("reads the image's USER forms: uid, name, uid:gid, name:group", () => {
    assert.deepEqual(resolveUser({ ...base, imageUser: '1000' }, passwd, groups).gid, 1000);
    assert.equal(resolveUser({ ...base, imageUser: 'default-user' }, passwd, groups).uid, 1000);
    assert.deepEqual(resolveUser({ ...base, imageUser: '1000:50' }, passwd, groups).gid, 50);
    assert.deepEqual(resolveUser({ ...base, imageUser: 'default-user:staff' }, passwd, groups).gid, 50);
    // the security context's user wins over the image's, group included
    assert.deepEqual(resolveUser({ ...base, imageUser: 'default-user:staff', runAsUser: 0 }, passwd, groups).gid, 0);
  });
});
