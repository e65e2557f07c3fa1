import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { CriError, type CriErrorKind, errorMessage } from '../errors.js';
import { type GrpcMethodRecorder, metrics } from '../metrics/metrics.js';

export interface CallOptions {
  /** Overrides the connection's default deadline for this call. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Holds what the call creates (content, snapshots) under this lease until it is deleted. */
  lease?: string;
}

/**
 * A typed promise API for the unary methods of a generated service definition.
 * The generated types cannot tell streaming methods apart, so those are typed
 * here too but absent at run time: call them through `serverStream` / `duplex`.
 */
export type UnaryApi<D> = {
  [K in keyof D]: D[K] extends protoLoader.MethodDefinition<infer Req, infer _Res, infer _OutReq, infer Res>
    ? (request: Req, options?: CallOptions) => Promise<Res>
    : never;
};

/** Request and response types of one method of a generated service definition. */
export type RequestOf<M> = M extends protoLoader.MethodDefinition<infer Req, infer _Res, infer _OutReq, infer _OutRes> ? Req : never;
export type ResponseOf<M> = M extends protoLoader.MethodDefinition<infer _Req, infer _Res, infer _OutReq, infer Res> ? Res : never;

const KIND_BY_STATUS: Partial<Record<grpc.status, CriErrorKind>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
  [grpc.status.UNIMPLEMENTED]: 'Unimplemented',
  [grpc.status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
};

/** containerd's answer as a domain error, keeping its status code's meaning. */
export function fromContainerdError(err: grpc.ServiceError, method: string): CriError {
  return fromContainerdStatus({ code: err.code, details: err.details || err.message, metadata: err.metadata }, method, err);
}

/** The same for a unary call's final status. */
export function fromContainerdStatus(status: grpc.StatusObject, method: string, cause: unknown = status): CriError {
  const kind = KIND_BY_STATUS[status.code] ?? 'Internal';
  return new CriError(kind, `containerd ${method}: ${status.details || grpc.status[status.code]}`, { cause });
}

/**
 * One gRPC channel to containerd. Every call carries the containerd
 * namespace header and a deadline; grpc-js reconnects the channel by itself,
 * and the short backoff makes a restarted containerd usable within a second.
 */
export class ContainerdConnection {
  readonly client: grpc.Client;
  private readonly channel: grpc.ChannelInterface;

  constructor(
    readonly address: string,
    readonly namespace: string,
    readonly defaultTimeoutMs: number,
  ) {
    this.client = new grpc.Client(`unix://${address}`, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.default_authority': 'localhost',
      // Channelz bookkeeping costs CPU on every call and nothing reads it.
      'grpc.enable_channelz': 0,
    });
    this.channel = this.client.getChannel();
  }

  metadata(options?: CallOptions): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('containerd-namespace', this.namespace);
    if (options?.lease) metadata.set('containerd-lease', options.lease);
    return metadata;
  }

  deadline(options?: CallOptions): Date {
    return new Date(Date.now() + (options?.timeoutMs ?? this.defaultTimeoutMs));
  }

  unaryApi<D>(definition: grpc.ServiceDefinition): UnaryApi<D> {
    const api: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {};
    for (const [name, method] of Object.entries(definition)) {
      if (method.requestStream || method.responseStream) continue;
      const recorder = metrics.containerdMethod(method.path);
      api[name] = (request, options) => this.unary(method, recorder, request, options);
    }
    return api as UnaryApi<D>;
  }

  /**
   * A unary call straight on the channel: the client layer (a call object,
   * interceptor plumbing and a stack captured on every call) cost about
   * 0.2 ms of CPU per call here, and cri-ts makes a dozen per container.
   */
  private unary(method: grpc.MethodDefinition<unknown, unknown>, recorder: GrpcMethodRecorder, request: unknown, options?: CallOptions): Promise<unknown> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      let payload: Buffer;
      try {
        payload = method.requestSerialize(request);
      } catch (err) {
        recorder.done(grpc.status.INTERNAL, secondsSince(started));
        reject(new CriError('Internal', `containerd ${method.path}: request not encodable: ${errorMessage(err)}`, { cause: err }));
        return;
      }
      const call = this.channel.createCall(method.path, this.deadline(options), null, null, null);
      let response: unknown;
      let received = false;
      let failure: grpc.StatusObject | undefined;
      call.start(this.metadata(options), {
        onReceiveMetadata: () => undefined,
        onReceiveMessage: (message: Buffer) => {
          received = true;
          try {
            response = method.responseDeserialize(message);
          } catch (err) {
            failure = { code: grpc.status.INTERNAL, details: `response not decodable: ${errorMessage(err)}`, metadata: new grpc.Metadata() };
            call.cancelWithStatus(failure.code, failure.details);
          }
        },
        onReceiveStatus: (status: grpc.StatusObject) => {
          const final = failure ?? (status.code === grpc.status.OK && !received ? { ...status, code: grpc.status.INTERNAL, details: 'no response message' } : status);
          recorder.done(final.code, secondsSince(started));
          if (final.code === grpc.status.OK) resolve(response);
          else reject(fromContainerdStatus(final, method.path));
        },
      });
      call.sendMessageWithContext({}, payload);
      call.halfClose();
      call.startRead();
      options?.signal?.addEventListener('abort', () => call.cancelWithStatus(grpc.status.CANCELLED, 'cancelled by cri-ts'), { once: true });
    });
  }

  /**
   * A server-streaming call as an async iterable. Errors become domain errors;
   * no deadline unless one is given, since subscriptions live as long as cri-ts.
   */
  async *serverStream<Res>(method: grpc.MethodDefinition<unknown, unknown>, request: unknown, options?: CallOptions): AsyncGenerator<Res> {
    const call = this.client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      this.metadata(options),
      options?.timeoutMs === undefined ? {} : { deadline: this.deadline(options) },
    );
    recordWhenEnded(call, method.path);
    const abort = (): void => call.cancel();
    options?.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const message of call) yield message as Res;
    } catch (err) {
      throw isServiceError(err) ? fromContainerdError(err, method.path) : err;
    } finally {
      options?.signal?.removeEventListener('abort', abort);
      call.cancel();
    }
  }

  /** A bidirectional call; the caller drives it (the content writer is the one user). */
  duplex<Req, Res>(method: grpc.MethodDefinition<unknown, unknown>, options?: CallOptions): grpc.ClientDuplexStream<Req, Res> {
    const call = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize as (value: Req) => Buffer,
      method.responseDeserialize as (bytes: Buffer) => Res,
      this.metadata(options),
      options?.timeoutMs === undefined ? {} : { deadline: this.deadline(options) },
    );
    recordWhenEnded(call, method.path);
    options?.signal?.addEventListener('abort', () => call.cancel(), { once: true });
    return call;
  }

  /** The channel has a live connection to containerd now (a dead containerd's closed socket drops it at once). */
  isConnected(): boolean {
    return this.channel.getConnectivityState(false) === grpc.connectivityState.READY;
  }

  close(): void {
    this.client.close();
  }
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Streams are few and long (subscriptions, content reads and writes): their recorder is looked up when each ends. */
function recordWhenEnded(call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>, path: string): void {
  const started = process.hrtime.bigint();
  call.once('status', (status: grpc.StatusObject) => streamRecorder(path).done(status.code, secondsSince(started)));
}

const streamRecorders = new Map<string, GrpcMethodRecorder>();

function streamRecorder(path: string): GrpcMethodRecorder {
  let recorder = streamRecorders.get(path);
  if (!recorder) streamRecorders.set(path, (recorder = metrics.containerdMethod(path)));
  return recorder;
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in err;
}
