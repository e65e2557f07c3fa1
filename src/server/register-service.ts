import * as grpc from '@grpc/grpc-js';
import { clipInput, errorMessage, InvalidArgumentError, UnimplementedError } from '../errors.js';
import { type GrpcMethodRecorder, metrics } from '../metrics/metrics.js';
import type { ServerContext } from './context.js';
import { EncodedResponse } from './encoded-response.js';
import { toServiceError } from './grpc-status.js';
import { checkRequestStrings } from './validation/request-strings.js';
import { decodeOrMark, UndecodableRequest } from './undecodable-request.js';

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

// A failed call's error as logged: error messages quote client input, which must not reach the log unbounded.
const MAX_LOGGED_ERROR_CHARS = 1024;
const MAX_LOGGED_STACK_CHARS = 4096;

function loggedError(err: unknown, withStack: boolean): { error: string; stack?: string } {
  const error = clipInput(errorMessage(err), MAX_LOGGED_ERROR_CHARS);
  const stack = withStack && err instanceof Error && err.stack ? clipInput(err.stack, MAX_LOGGED_STACK_CHARS) : undefined;
  return stack ? { error, stack } : { error };
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Runs `rpc` on a request that decoded and passed the edge's checks; anything else is refused before any work. */
async function answer<Res>(ctx: ServerContext, rpc: (ctx: ServerContext, request: never) => Promise<Res>, request: unknown): Promise<Res> {
  if (request instanceof UndecodableRequest) throw new InvalidArgumentError(request.describe());
  checkRequestStrings(request);
  return rpc(ctx, request as never);
}

function unaryHandler(ctx: ServerContext, name: string, recorder: GrpcMethodRecorder, rpc: UnaryRpc<never, unknown>): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    answer(ctx, rpc, call.request).then(
      (response) => {
        const seconds = secondsSince(started);
        recorder.done(grpc.status.OK, seconds);
        ctx.log.debug({ rpc: name, ms: seconds * 1000 }, 'rpc done');
        callback(null, response);
      },
      (err: unknown) => {
        const status = toServiceError(err);
        recorder.done(status.code, secondsSince(started));
        const level = status.code === grpc.status.INTERNAL ? 'error' : 'info';
        ctx.log[level]({ rpc: name, code: grpc.status[status.code], ...loggedError(err, level === 'error') }, 'rpc failed');
        callback(status);
      },
    );
  };
}

function serverStreamHandler(
  ctx: ServerContext,
  name: string,
  recorder: GrpcMethodRecorder,
  rpc: ServerStreamRpc<never, unknown>,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const started = process.hrtime.bigint();
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    call.on('close', () => abort.abort());
    answer(ctx, (c, request) => rpc(c, request, (response) => call.write(response), abort.signal), call.request).then(
      () => {
        recorder.done(abort.signal.aborted ? grpc.status.CANCELLED : grpc.status.OK, secondsSince(started));
        call.end();
      },
      (err: unknown) => {
        if (abort.signal.aborted) {
          recorder.done(grpc.status.CANCELLED, secondsSince(started));
          return;
        }
        const status = toServiceError(err);
        recorder.done(status.code, secondsSince(started));
        ctx.log.info({ rpc: name, code: grpc.status[status.code], ...loggedError(err, false) }, 'stream failed');
        call.emit('error', status);
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
    const recorder = metrics.criMethod(serviceName, method);
    const unimplemented = async (): Promise<never> => {
      throw new UnimplementedError(`${name} is not implemented by cri-ts yet`);
    };
    if (definition.requestStream) {
      implementation[method] = unaryHandler(ctx, name, recorder, unimplemented);
    } else if (definition.responseStream) {
      implementation[method] = serverStreamHandler(ctx, name, recorder, table.serverStream?.[method] ?? unimplemented);
    } else {
      implementation[method] = unaryHandler(ctx, name, recorder, table.unary[method] ?? unimplemented);
    }
  }
  server.addService(edgeCodecs(service, serviceName), implementation);
}

/** The request message's name, as proto-loader's definitions carry it. */
function requestTypeName(definition: grpc.MethodDefinition<unknown, unknown>): string | undefined {
  const { requestType } = definition as { requestType?: { type?: { name?: unknown } } };
  return typeof requestType?.type?.name === 'string' ? requestType.type.name : undefined;
}

/**
 * The service with every method decoding requests without throwing (bad bytes
 * reach the handler as an UndecodableRequest) and sending an
 * EncodedResponse's bytes as they are.
 */
function edgeCodecs(service: grpc.ServiceDefinition, serviceName: string): grpc.ServiceDefinition {
  const methods: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, definition] of Object.entries(service)) {
    const serialize = definition.responseSerialize;
    const typeName = `${serviceName.replace(/\.[^.]+$/, '')}.${requestTypeName(definition) ?? `${method}Request`}`;
    methods[method] = {
      ...definition,
      requestDeserialize: decodeOrMark(typeName, definition.requestDeserialize),
      responseSerialize: (value: unknown) => (value instanceof EncodedResponse ? value.bytes : serialize(value)),
    };
  }
  return methods;
}
