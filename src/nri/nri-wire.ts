import type protobuf from 'protobufjs/light.js';
import { protoRoot } from '../proto/descriptors.js';

/** The protobuf package of NRI's messages and services. */
export const NRI_PACKAGE = 'nri.pkg.api.v1alpha1';

/** api/nri's protos as protobufjs types, with the field names the generated types use. */
function nriTypes(): protobuf.Root {
  return protoRoot('nri');
}

/** A message type by its name in api/nri: "ttrpc.Request", or an NRI message's short name ("ConfigureRequest"). */
function messageType(name: string): protobuf.Type {
  return nriTypes().lookupType(name.includes('.') ? name : `${NRI_PACKAGE}.${name}`);
}

/** The wire bytes of `message` as `typeName`; throws on a value the type cannot hold. */
export function encodeMessage(typeName: string, message: object): Buffer {
  const type = messageType(typeName);
  return Buffer.from(type.encode(type.fromObject(message as Record<string, unknown>)).finish());
}

/**
 * Decodes `bytes` as `typeName` into the generated __Output shape (int64 as
 * decimal strings, enums by name, every field present). Throws on bytes that
 * are not such a message.
 */
export function decodeMessage<T>(typeName: string, bytes: Buffer): T {
  const type = messageType(typeName);
  return type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: true }) as T;
}
