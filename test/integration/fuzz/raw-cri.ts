import * as grpc from '@grpc/grpc-js';

export interface RawAnswer {
  /** gRPC status name, or "no answer" when the deadline passed. */
  code: string;
  details: string;
  ms: number;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** A CRI connection that sends request bytes as they are (one HTTP/2 connection, as kubelet keeps). */
export function rawCriClient(socket: string): { call(path: string, bytes: Buffer, deadlineMs: number): Promise<RawAnswer>; close(): void } {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  return {
    call: (path, bytes, deadlineMs) =>
      new Promise((resolve) => {
        const started = performance.now();
        client.makeUnaryRequest(path, identity, identity, bytes, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err) => {
          const ms = performance.now() - started;
          if (!err) return resolve({ code: 'OK', details: '', ms });
          // The client's own deadline passing means the server never answered.
          const code = err.code === grpc.status.DEADLINE_EXCEEDED && ms >= deadlineMs - 100 ? 'no answer' : grpc.status[err.code] ?? String(err.code);
          resolve({ code, details: err.details, ms });
        });
      }),
    close: () => client.close(),
  };
}
