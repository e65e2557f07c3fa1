/**
 * CRI calls for the benchmarks, by method name, with the reply left in wire
 * form: the time measured is the runtime's and the transfer's, not this
 * client's protobuf decoding.
 */
import * as grpc from '@grpc/grpc-js';
import type { ProtoGrpcType } from '../../src/generated/cri/api.js';
import { apiDir } from '../../src/package-paths.js';
import { loadProtoPackage } from '../../src/proto/load.js';

type Definition = Record<string, grpc.MethodDefinition<unknown, unknown>>;

let methods: Map<string, grpc.MethodDefinition<unknown, unknown>> | undefined;

function methodNamed(name: string): grpc.MethodDefinition<unknown, unknown> {
  if (!methods) {
    const cri = loadProtoPackage(['cri/v1/api.proto'], [apiDir]) as unknown as ProtoGrpcType;
    methods = new Map();
    for (const service of [cri.runtime.v1.RuntimeService.service, cri.runtime.v1.ImageService.service]) {
      for (const [method, definition] of Object.entries(service as unknown as Definition)) methods.set(method, definition);
    }
  }
  const method = methods.get(name);
  if (!method) throw new Error(`no CRI method ${name}`);
  return method;
}

const CHANNEL_OPTIONS = { 'grpc.max_receive_message_length': -1 };

/** Calls on one long-lived connection, as kubelet keeps one. */
export class RawCriClient {
  private readonly client: grpc.Client;

  constructor(socket: string) {
    this.client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  call(method: string, request: object, timeoutMs = 60_000): Promise<Buffer> {
    return rawUnary(this.client, method, request, timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}

/** One call on a connection of its own: for polling a restarting daemon without gRPC's reconnect backoff. */
export async function callOnce(socket: string, method: string, request: object, timeoutMs: number): Promise<Buffer> {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  try {
    return await rawUnary(client, method, request, timeoutMs);
  } finally {
    client.close();
  }
}

/** Decodes a reply of `method` (outside the timed part). */
export function decodeReply<T>(method: string, bytes: Buffer): T {
  return methodNamed(method).responseDeserialize(bytes) as T;
}

function rawUnary(client: grpc.Client, method: string, request: object, timeoutMs: number): Promise<Buffer> {
  const definition = methodNamed(method);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      (bytes: Buffer) => bytes,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, reply) => (err || !reply ? reject(err ?? new Error(`${method}: no reply`)) : resolve(reply)),
    );
  });
}
