import { readdirSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import type { ContainerdConfig } from '../config/config.js';
import type { VersionDefinition } from '../generated/containerd/containerd/services/version/v1/Version.js';
import { apiDir } from '../package-paths.js';
import { loadProtoPackage } from '../proto/load.js';
import { type CallOptions, ContainerdConnection, type UnaryApi } from './connection.js';

const CONTAINERD_API_DIR = `${apiDir}/containerd`;

let loadedPackage: grpc.GrpcObject | undefined;

/** Every containerd .proto we ship, loaded once per process. */
export function containerdProtoPackage(): grpc.GrpcObject {
  if (!loadedPackage) {
    const files = (readdirSync(CONTAINERD_API_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.proto')).sort();
    loadedPackage = loadProtoPackage(files, [CONTAINERD_API_DIR]);
  }
  return loadedPackage;
}

function lookup(pkg: grpc.GrpcObject, fullName: string): unknown {
  let node: unknown = pkg;
  for (const part of fullName.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (!node) throw new Error(`containerd API definition ${fullName} is missing from ${CONTAINERD_API_DIR}`);
  return node;
}

export function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  return (lookup(containerdProtoPackage(), fullName) as { service: grpc.ServiceDefinition }).service;
}

/**
 * The containerd API as cri-ts uses it: one connection, a typed promise API
 * per service (more services join as the image, pod and container work needs them). The only module that knows containerd's wire types.
 */
export class ContainerdClient {
  readonly connection: ContainerdConnection;
  readonly versionService: UnaryApi<VersionDefinition>;

  constructor(address: string, namespace: string, defaultTimeoutMs: number) {
    const c = new ContainerdConnection(address, namespace, defaultTimeoutMs);
    this.connection = c;
    const api = <D>(name: string): UnaryApi<D> => c.unaryApi<D>(serviceDefinition(`containerd.services.${name}`));
    this.versionService = api<VersionDefinition>('version.v1.Version');
  }

  static fromConfig(config: ContainerdConfig, address = config.address): ContainerdClient {
    return new ContainerdClient(address, config.namespace, config.callTimeoutMs);
  }

  get address(): string {
    return this.connection.address;
  }

  async version(options?: CallOptions): Promise<{ version: string; revision: string }> {
    const response = await this.versionService.Version({}, options);
    return { version: response.version, revision: response.revision };
  }

  /** True when containerd answers within `timeoutMs`. */
  async isAnswering(timeoutMs = 1000): Promise<boolean> {
    try {
      await this.version({ timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.connection.close();
  }
}
