import * as grpc from '@grpc/grpc-js';
import { rename } from 'node:fs/promises';
import { grpcService } from '../proto/grpc-service.js';
import type { ServerContext } from './context.js';
import { imageServiceRpcs } from './image-service.js';
import { registerService } from './register-service.js';
import { runtimeServiceRpcs } from './runtime-service.js';
import { prepareSocketPath, restrictSocketPermissions, temporarySocketPath } from './socket.js';

// kubelet sends image and container configs that can exceed grpc's 4 MiB default.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface CriServer {
  readonly address: string;
  /** Stops accepting calls and waits up to `graceMs` for running ones. */
  stop(graceMs: number): Promise<void>;
}

export async function startCriServer(ctx: ServerContext): Promise<CriServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // Channelz bookkeeping costs CPU on every call and nothing reads it.
    'grpc.enable_channelz': 0,
  });
  registerService(server, grpcService('cri', 'runtime.v1.RuntimeService'), 'runtime.v1.RuntimeService', runtimeServiceRpcs, ctx);
  registerService(server, grpcService('cri', 'runtime.v1.ImageService'), 'runtime.v1.ImageService', imageServiceRpcs, ctx);

  const path = ctx.config.grpcAddress;
  await prepareSocketPath(path);
  // Bound under a name of its own, made 0660, then renamed into place: no client ever finds the socket with the umask's mode.
  const bindPath = temporarySocketPath(path);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${bindPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  await restrictSocketPermissions(bindPath);
  if (bindPath !== path) await rename(bindPath, path);
  ctx.log.info({ address: path }, 'CRI server listening');

  return {
    address: path,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
