import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ContainerdClient, serviceDefinition } from '../../src/containerd/client.js';

export interface StandInContainerd {
  /** A client of it in namespace "ns". */
  client: ContainerdClient;
  stop(): void;
}

/**
 * A stand-in containerd on a unix socket of its own, serving the handlers
 * given for each service (by its containerd name, "version.v1.Version"), for
 * unit tests of what cri-ts sends and how it reads the answers.
 */
export async function startStandInContainerd(services: Record<string, grpc.UntypedServiceImplementation>, callTimeoutMs: number): Promise<StandInContainerd> {
  const dir = mkdtempSync(join(tmpdir(), 'cri-ts-stand-in-'));
  const socket = join(dir, 'containerd.sock');
  const server = new grpc.Server();
  for (const [name, handlers] of Object.entries(services)) server.addService(serviceDefinition(`containerd.services.${name}`), handlers);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  const client = new ContainerdClient(socket, 'ns', callTimeoutMs);
  return {
    client,
    stop() {
      client.close();
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
