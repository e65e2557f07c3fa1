import type { WebSocket } from 'ws';
import type { Logger } from '../../log.js';
import type { PortForwarder } from '../types.js';
import type { ChannelCodec } from '../ws-channels.js';
import { ChannelConnection } from '../ws-connection.js';
import { runForward } from './forward.js';

export interface WebSocketPortForwardOptions {
  ws: WebSocket;
  codec: ChannelCodec;
  ports: number[];
  podSandboxId: string;
  forwarder: PortForwarder;
  log: Logger;
  idleTimeoutMs: number;
}

/**
 * port-forward over WebSocket channels (kubelet's portforward/websocket.go):
 * port i gets data channel 2i and error channel 2i+1, each opened by a message
 * holding the port as 2 bytes little-endian. One connection per port; the
 * WebSocket closes when all are done.
 */
export async function servePortForwardWebSocket(options: WebSocketPortForwardOptions): Promise<void> {
  const conn = new ChannelConnection(options.ws, { codec: options.codec, closeSignal: false, idleTimeoutMs: options.idleTimeoutMs });
  await Promise.all(
    options.ports.map(async (port, i) => {
      const dataChannel = 2 * i;
      const errorChannel = dataChannel + 1;
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      const data = conn.duplex(dataChannel);
      await conn.send(dataChannel, portBytes);
      await conn.send(errorChannel, portBytes);
      await runForward(
        options.forwarder,
        {
          podSandboxId: options.podSandboxId,
          port,
          data,
          writeError: (message) => void conn.send(errorChannel, Buffer.from(message, 'utf8')),
        },
        options.log.child({ port }),
      );
      data.end();
    }),
  );
  await conn.close();
}
