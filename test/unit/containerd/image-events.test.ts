import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packAny } from '../../../src/containerd/any.js';
import { dispatchImageEvent, type ImageEventHandlers } from '../../../src/containerd/image-events.js';

function recordingHandlers(): { seen: string[]; handlers: ImageEventHandlers } {
  const seen: string[] = [];
  return {
    seen,
    handlers: {
      onRecordChanged: (name) => seen.push(`changed ${name}`),
      onRecordDeleted: (name) => seen.push(`deleted ${name}`),
      onSubscribed: () => seen.push('subscribed'),
      onLost: () => seen.push('lost'),
    },
  };
}

describe('containerd image events', () => {
  it('decodes the payloads containerd 1.6 sends (type URLs in the images service package)', () => {
    const { seen, handlers } = recordingHandlers();
    dispatchImageEvent('/images/create', packAny('containerd.services.images.v1.ImageCreate', { name: 'registry.test/a:1', labels: { k: 'v' } }), handlers);
    dispatchImageEvent('/images/update', packAny('containerd.services.images.v1.ImageUpdate', { name: 'registry.test/a:1' }), handlers);
    dispatchImageEvent('/images/delete', packAny('containerd.services.images.v1.ImageDelete', { name: 'registry.test/a:1' }), handlers);
    // Bytes as containerd 1.6.20 published them for `ImageCreate{name: "probe.test/x:1", labels: {a: b}}`.
    dispatchImageEvent('/images/create', { type_url: 'containerd.services.images.v1.ImageCreate', value: Buffer.from('0a0e70726f62652e746573742f783a3112060a0161120162', 'hex') }, handlers);
    assert.deepEqual(seen, ['changed registry.test/a:1', 'changed registry.test/a:1', 'deleted registry.test/a:1', 'changed probe.test/x:1']);
  });

  it('ignores payloads it does not know and topics it did not ask for', () => {
    const { seen, handlers } = recordingHandlers();
    dispatchImageEvent('/images/create', { type_url: 'containerd.events.ImageCreate', value: Buffer.from('0a0161', 'hex') }, handlers);
    dispatchImageEvent('/containers/create', packAny('containerd.services.images.v1.ImageCreate', { name: 'x' }), handlers);
    assert.deepEqual(seen, []);
  });
});
