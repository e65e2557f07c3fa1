import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Multiplexer, MuxConn } from '../../../src/nri/mux.js';
import { NriPlugin } from '../../../src/nri/nri-plugin.js';
import { decodeMessage, encodeMessage } from '../../../src/nri/nri-wire.js';
import { TtrpcClient } from '../../../src/nri/ttrpc-client.js';
import { TtrpcServer } from '../../../src/nri/ttrpc-server.js';
import { socketPair } from './socket-pair.js';

const log = pino({ level: 'silent' });
const options = {
  runtimeName: 'cri-ts',
  runtimeVersion: 'test',
  registrationTimeoutMs: 200,
  requestTimeoutMs: 500,
  log,
  onUpdateContainers: async () => ({ failed: [] }),
};

/** A plugin peer of our own making: registers as told and answers Configure with `events`. */
function fakePlugin(socket: Socket, registration: { pluginName: string; pluginIdx: string } | undefined, events: number): Promise<unknown> {
  const mux = new Multiplexer(socket);
  new TtrpcServer(
    mux.open(MuxConn.pluginService),
    new Map([
      [
        'nri.pkg.api.v1alpha1.Plugin/Configure',
        async (payload: Buffer) => {
          decodeMessage('ConfigureRequest', payload);
          return encodeMessage('ConfigureResponse', { events });
        },
      ],
    ]),
    () => undefined,
  );
  const runtime = new TtrpcClient(mux.open(MuxConn.runtimeService), () => undefined);
  return registration ? runtime.call('nri.pkg.api.v1alpha1.Runtime', 'RegisterPlugin', encodeMessage('RegisterPluginRequest', registration), 1000).catch((err: unknown) => err) : Promise.resolve();
}

describe('an NRI plugin connection', () => {
  it('registers and is configured; subscribing to nothing means every event', async () => {
    const [ours, theirs] = await socketPair();
    void fakePlugin(theirs, { pluginName: 'good', pluginIdx: '07' }, 0);
    const plugin = await NriPlugin.start(ours, options);
    assert.equal(plugin.name, '07-good');
    assert.ok(plugin.subscribes('CREATE_CONTAINER') && plugin.subscribes('VALIDATE_CONTAINER_ADJUSTMENT'));
    plugin.drop('test over');
    theirs.destroy();
  });

  it('is dropped when it does not register within the registration timeout', async () => {
    const [ours, theirs] = await socketPair();
    void fakePlugin(theirs, undefined, 0);
    const started = Date.now();
    await assert.rejects(NriPlugin.start(ours, options), /registration took longer than 200 ms/);
    assert.ok(Date.now() - started < 1000);
    assert.ok(ours.destroyed, 'its socket is closed');
    theirs.destroy();
  });

  it('refuses an invalid name or index, and an event mask with unknown events', async () => {
    for (const [registration, events, problem] of [
      [{ pluginName: 'bad name', pluginIdx: '10' }, 0, /invalid plugin name "bad name"/],
      [{ pluginName: 'ok', pluginIdx: '1' }, 0, /invalid plugin index "1"/],
      [{ pluginName: 'ok', pluginIdx: '10' }, 1 << 20, /unknown events/],
    ] as const) {
      const [ours, theirs] = await socketPair();
      const answer = fakePlugin(theirs, registration, events);
      await assert.rejects(NriPlugin.start(ours, options), problem);
      if (events === 0) assert.match(String(await answer), problem, 'the plugin is told why');
      theirs.destroy();
    }
  });
});
