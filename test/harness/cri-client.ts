import * as grpc from '@grpc/grpc-js';
import type { UnaryApi } from '../../src/containerd/connection.js';
import type { ImageServiceDefinition } from '../../src/generated/cri/runtime/v1/ImageService.js';
import type { RuntimeServiceDefinition } from '../../src/generated/cri/runtime/v1/RuntimeService.js';
import { grpcService } from '../../src/proto/grpc-service.js';

export type CriRuntime = UnaryApi<RuntimeServiceDefinition>;
export type CriImages = UnaryApi<ImageServiceDefinition>;

/** A CRI client straight to cri-ts, for calls crictl has no command for (ReopenContainerLog, bad input). */
export function criClient(socket: string): { runtime: CriRuntime; images: CriImages; close(): void } {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  const api = <D>(definition: grpc.ServiceDefinition): D => {
    const out: Record<string, (request: unknown) => Promise<unknown>> = {};
    for (const [name, method] of Object.entries(definition)) {
      out[name] = (request) =>
        new Promise((resolve, reject) => {
          client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), { deadline: Date.now() + 60_000 }, (err, res) =>
            err ? reject(err) : resolve(res),
          );
        });
    }
    return out as D;
  };
  return {
    runtime: api<CriRuntime>(grpcService('cri', 'runtime.v1.RuntimeService')),
    images: api<CriImages>(grpcService('cri', 'runtime.v1.ImageService')),
    close: () => client.close(),
  };
}

/** The gRPC status name of a failed call, e.g. "NOT_FOUND". */
export function grpcCode(err: unknown): string {
  const code = (err as { code?: number }).code;
  return code === undefined ? 'none' : grpc.status[code] ?? String(code);
}
