import type * as grpc from '@grpc/grpc-js';
import type { ContainerdConfig } from '../config/config.js';
import type { ContainersDefinition } from '../generated/containerd/containerd/services/containers/v1/Containers.js';
import type { ContentDefinition } from '../generated/containerd/containerd/services/content/v1/Content.js';
import type { WriteContentRequest } from '../generated/containerd/containerd/services/content/v1/WriteContentRequest.js';
import type { WriteContentResponse__Output } from '../generated/containerd/containerd/services/content/v1/WriteContentResponse.js';
import type { DiffDefinition } from '../generated/containerd/containerd/services/diff/v1/Diff.js';
import type { EventsDefinition } from '../generated/containerd/containerd/services/events/v1/Events.js';
import type { ImagesDefinition } from '../generated/containerd/containerd/services/images/v1/Images.js';
import type { IntrospectionDefinition } from '../generated/containerd/containerd/services/introspection/v1/Introspection.js';
import type { LeasesDefinition } from '../generated/containerd/containerd/services/leases/v1/Leases.js';
import type { NamespacesDefinition } from '../generated/containerd/containerd/services/namespaces/v1/Namespaces.js';
import type { SnapshotsDefinition } from '../generated/containerd/containerd/services/snapshots/v1/Snapshots.js';
import type { TasksDefinition } from '../generated/containerd/containerd/services/tasks/v1/Tasks.js';
import type { VersionDefinition } from '../generated/containerd/containerd/services/version/v1/Version.js';
import { grpcService } from '../proto/grpc-service.js';
import { type CallOptions, ContainerdConnection, type RequestOf, type ResponseOf, type UnaryApi } from './connection.js';
import { TemporaryLeases } from './temporary-leases.js';

const services = new Map<string, grpc.ServiceDefinition>();

/** A containerd service's gRPC definition (from api/descriptors/containerd.json), built once per process. */
export function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  let definition = services.get(fullName);
  if (!definition) {
    definition = grpcService<grpc.ServiceDefinition>('containerd', fullName);
    services.set(fullName, definition);
  }
  return definition;
}

/**
 * The containerd 1.x API as cri-ts uses it: one connection, a typed promise
 * API per service, and typed streams for the few streaming methods. The only
 * module that knows containerd's wire types.
 */
export class ContainerdClient {
  readonly connection: ContainerdConnection;
  readonly versionService: UnaryApi<VersionDefinition>;
  readonly namespaces: UnaryApi<NamespacesDefinition>;
  readonly containers: UnaryApi<ContainersDefinition>;
  readonly content: UnaryApi<ContentDefinition>;
  readonly images: UnaryApi<ImagesDefinition>;
  readonly snapshots: UnaryApi<SnapshotsDefinition>;
  readonly diff: UnaryApi<DiffDefinition>;
  readonly leases: UnaryApi<LeasesDefinition>;
  /** Leases held while one operation runs; every lease cri-ts makes is made here. */
  readonly temporaryLeases: TemporaryLeases;
  readonly tasks: UnaryApi<TasksDefinition>;
  readonly events: UnaryApi<EventsDefinition>;
  readonly introspection: UnaryApi<IntrospectionDefinition>;

  constructor(address: string, namespace: string, defaultTimeoutMs: number) {
    const c = new ContainerdConnection(address, namespace, defaultTimeoutMs);
    this.connection = c;
    const api = <D>(name: string): UnaryApi<D> => c.unaryApi<D>(serviceDefinition(`containerd.services.${name}`));
    this.versionService = api<VersionDefinition>('version.v1.Version');
    this.namespaces = api<NamespacesDefinition>('namespaces.v1.Namespaces');
    this.containers = api<ContainersDefinition>('containers.v1.Containers');
    this.content = api<ContentDefinition>('content.v1.Content');
    this.images = api<ImagesDefinition>('images.v1.Images');
    this.snapshots = api<SnapshotsDefinition>('snapshots.v1.Snapshots');
    this.diff = api<DiffDefinition>('diff.v1.Diff');
    this.leases = api<LeasesDefinition>('leases.v1.Leases');
    this.temporaryLeases = new TemporaryLeases(this.leases);
    this.tasks = api<TasksDefinition>('tasks.v1.Tasks');
    this.events = api<EventsDefinition>('events.v1.Events');
    this.introspection = api<IntrospectionDefinition>('introspection.v1.Introspection');
  }

  static fromConfig(config: ContainerdConfig, address = config.address): ContainerdClient {
    return new ContainerdClient(address, config.namespace, config.callTimeoutMs);
  }

  get address(): string {
    return this.connection.address;
  }

  get namespace(): string {
    return this.connection.namespace;
  }

  /** Streams a blob's bytes (content.v1.Content/Read). */
  readContent(request: RequestOf<ContentDefinition['Read']>, options?: CallOptions): AsyncGenerator<ResponseOf<ContentDefinition['Read']>> {
    return this.stream('content.v1.Content', 'Read', request, options);
  }

  listContent(request: RequestOf<ContentDefinition['List']>, options?: CallOptions): AsyncGenerator<ResponseOf<ContentDefinition['List']>> {
    return this.stream('content.v1.Content', 'List', request, options);
  }

  listSnapshots(request: RequestOf<SnapshotsDefinition['List']>, options?: CallOptions): AsyncGenerator<ResponseOf<SnapshotsDefinition['List']>> {
    return this.stream('snapshots.v1.Snapshots', 'List', request, options);
  }

  /** The event bus; lives until `options.signal` aborts or containerd goes away. */
  subscribeEvents(request: RequestOf<EventsDefinition['Subscribe']>, options?: CallOptions): AsyncGenerator<ResponseOf<EventsDefinition['Subscribe']>> {
    return this.stream('events.v1.Events', 'Subscribe', request, options);
  }

  /** content.v1.Content/Write: one ingest, driven by the caller (see content-writer). */
  writeContent(options?: CallOptions): grpc.ClientDuplexStream<WriteContentRequest, WriteContentResponse__Output> {
    return this.connection.duplex(serviceDefinition('containerd.services.content.v1.Content').Write!, options);
  }

  private stream<Res>(service: string, method: string, request: unknown, options?: CallOptions): AsyncGenerator<Res> {
    const definition = serviceDefinition(`containerd.services.${service}`)[method];
    if (!definition) throw new Error(`containerd ${service} has no method ${method}`);
    return this.connection.serverStream<Res>(definition, request, options);
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

  /** A connection to containerd is up now; says nothing of whether containerd still answers on it. */
  isConnected(): boolean {
    return this.connection.isConnected();
  }

  close(): void {
    this.connection.close();
  }
}
