import protobuf from 'protobufjs/light.js';
import { protoRoot } from '../proto/descriptors.js';

/** google.protobuf.Any as grpc-js hands it over. */
export interface AnyMessage {
  type_url: string;
  value: Buffer;
}

/** containerd stores a container's OCI spec as JSON under this type URL. */
export const OCI_SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';

/** Our containerd protos as protobufjs types, for what travels inside an Any (event payloads, shim options): grpc-js leaves those as bytes. */
function containerdTypes(): protobuf.Root {
  return protoRoot('containerd');
}

/** Type name from an Any's URL: containerd uses bare names ("containerd.events.TaskExit"). */
export function anyTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function packAny(typeName: string, message: Record<string, unknown>): AnyMessage {
  const type = containerdTypes().lookupType(typeName);
  const problem = type.verify(message);
  if (problem) throw new Error(`${typeName}: ${problem}`);
  return { type_url: typeName, value: Buffer.from(type.encode(type.fromObject(message)).finish()) };
}

/** Decodes an Any whose type is one of containerd's; undefined for other types. */
export function unpackAny<T>(any: AnyMessage): T | undefined {
  const type = containerdTypes().lookup(anyTypeName(any.type_url));
  if (!(type instanceof protobuf.Type)) return undefined;
  return type.toObject(type.decode(any.value), { longs: String, enums: String, defaults: true }) as T;
}

export function packJson(typeUrl: string, value: unknown): AnyMessage {
  return { type_url: typeUrl, value: Buffer.from(JSON.stringify(value)) };
}
