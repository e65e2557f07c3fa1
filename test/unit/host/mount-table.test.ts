import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSharedMountIn } from '../../../src/host/mount-table.js';

const MOUNTINFO = [
  '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '46 27 254:0 /run/netns /run/netns rw,relatime - ext4 /dev/vda rw',
  '47 46 254:0 /run/netns /run/netns rw,relatime shared:7 master:1 - ext4 /dev/vda rw',
  '48 27 0:41 / /tmp/with\\040space rw,relatime shared:9 - tmpfs shm rw',
  '',
].join('\n');

describe('isSharedMountIn', () => {
  it('reads the topmost mount at a path, its escaped name included', () => {
    assert.equal(isSharedMountIn(MOUNTINFO, '/run/netns'), true, 'the bind mount stacked on top is shared');
    assert.equal(isSharedMountIn(MOUNTINFO.replace(' shared:7 master:1', ''), '/run/netns'), false, 'the top one is private');
    assert.equal(isSharedMountIn(MOUNTINFO, '/tmp/with space'), true);
    assert.equal(isSharedMountIn(MOUNTINFO, '/run'), false, 'not a mount point');
  });
});
