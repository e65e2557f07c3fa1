import * as grpc from '@grpc/grpc-js';
import { UnimplementedError } from '../errors.js';
import type { ServerContext } from './context.js';
import { EncodedResponse } from './encoded-response.js';
import { toServiceError } from './grpc-status.js';

/** A unary RPC: takes the decoded request, returns the response message. */
export type UnaryRpc<Req, Res> = (ctx: ServerContext, request: Req) => Promise<Res>;

/** A server-streaming RPC: writes responses until done or `signal` aborts. */
export type ServerStreamRpc<Req, Res> = (
  ctx: ServerContext,
  request: Req,
  send: (response: Res) => void,
  signal: AbortSignal,
) => Promise<void>;

export interface RpcTable {
  unary: Record<string, UnaryRpc<never, unknown>>;
  serverStream?: Record<string, ServerStreamRpc<never, unknown>>;
}

function unaryHandler(ctx: ServerContext, name: string, rpc: UnaryRpc<never, unknown>): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    rpc(ctx, call.request as never).then(
      (response) => {
        ctx.log.debug({ rpc: name, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'rpc done');
        callback(null, response);
      },
      (err: unknown) => {
        const status = toServiceError(err);
        const level = status.code === grpc.status.INTERNAL ? 'error' : 'info';
        ctx.log[level]({ rpc: name, code: grpc.status[status.code], err }, 'rpc failed');
        callback(status);
      },
    );
  };
}

function serverStreamHandler(
  ctx: ServerContext,
  name: string,
  rpc: ServerStreamRpc<never, unknown>,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    call.on('close', () => abort.abort());
    rpc(ctx, call.request as never, (response) => call.write(response), abort.signal).then(
      () => call.end(),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        ctx.log.info({ rpc: name, err }, 'stream failed');
        call.emit('error', toServiceError(err));
      },
    );
  };
}

/**
 * Registers every method of a service. Methods without a handler answer
 * UNIMPLEMENTED with their name rather than crashing or hanging the caller.
 */
export function registerService(
  server: grpc.Server,
  service: grpc.ServiceDefinition,
  serviceName: string,
  table: RpcTable,
  ctx: ServerContext,
): void {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(service)) {
    const name = `${serviceName}/${method}`;
    const unimplemented = async (): Promise<never> => {
      throw new UnimplementedError(`${name} is not implemented by cri-ts yet`);
    };
    if (definition.requestStream) {
      implementation[method] = unaryHandler(ctx, name, unimplemented);
    } else if (definition.responseStream) {
      implementation[method] = serverStreamHandler(ctx, name, table.serverStream?.[method] ?? unimplemented);
    } else {
      implementation[method] = unaryHandler(ctx, name, table.unary[method] ?? unimplemented);
    }
  }
  server.addService(passEncodedResponses(service), implementation);
}

/** The service with every method sending an EncodedResponse's bytes as they are. */
function passEncodedResponses(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const methods: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, definition] of Object.entries(service)) {
    const serialize = definition.responseSerialize;
    methods[method] = { ...definition, responseSerialize: (value: unknown) => (value instanceof EncodedResponse ? value.bytes : serialize(value)) };
  }
  return methods;
}
