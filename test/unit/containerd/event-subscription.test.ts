import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { AnyMessage } from '../../../src/containerd/any.js';
import type { ContainerdClient } from '../../../src/containerd/client.js';
import type { CallOptions } from '../../../src/containerd/connection.js';
import { EventSubscription } from '../../../src/containerd/event-subscription.js';
import { CriError } from '../../../src/errors.js';

interface Envelope {
  topic: string;
  namespace: string;
  event: AnyMessage | null;
}

/** A containerd whose first subscription delivers one event and then breaks; later ones stay open until aborted. */
function flakyEventBus(): { client: ContainerdClient; requests: Array<{ filters: string[] }> } {
  const requests: Array<{ filters: string[] }> = [];
  async function* subscribeEvents(request: { filters: string[] }, options?: CallOptions): AsyncGenerator<Envelope> {
    requests.push(request);
    const attempt = requests.length;
    await new Promise((r) => setTimeout(r, 80));
    yield { topic: '/tasks/exit', namespace: 'k8s.io', event: { type_url: `attempt-${attempt}`, value: Buffer.alloc(0) } };
    if (attempt === 1) throw new CriError('Unavailable', 'containerd went away');
    await new Promise((resolve) => options?.signal?.addEventListener('abort', resolve, { once: true }));
    throw new CriError('Internal', 'Cancelled on client');
  }
  return { client: { namespace: 'k8s.io', subscribeEvents } as unknown as ContainerdClient, requests };
}

describe('following containerd events', () => {
  it('filters by topic and namespace, and subscribes again after containerd goes away, telling each time', async () => {
    const { client, requests } = flakyEventBus();
    const seen: string[] = [];
    const subscription = new EventSubscription(
      client,
      ['/tasks/exit', '/tasks/oom'],
      {
        onEvent: (topic, event) => seen.push(`${topic} ${event.type_url}`),
        onSubscribed: () => seen.push('subscribed'),
        onLost: () => seen.push('lost'),
      },
      pino({ level: 'silent' }),
    );
    subscription.start();
    await new Promise((r) => setTimeout(r, 500));
    subscription.stop();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(requests[0]?.filters, ['topic=="/tasks/exit",namespace=="k8s.io"', 'topic=="/tasks/oom",namespace=="k8s.io"']);
    assert.equal(requests.length, 2);
    assert.deepEqual(seen, ['subscribed', '/tasks/exit attempt-1', 'lost', 'subscribed', '/tasks/exit attempt-2']);
  });
});
