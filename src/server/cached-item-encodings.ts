import type protobuf from 'protobufjs/light.js';
import { protoRoot } from '../proto/descriptors.js';
import { EncodedResponse } from './encoded-response.js';
import { tag, varintSize, WireType, writeVarint } from './protobuf-wire.js';

/**
 * The wire bytes of list items, kept per item until it changes: a pod's or a
 * container's labels, annotations and metadata never change, and re-encoding
 * them on every ListPodSandbox and ListContainers was most of those calls'
 * work at a hundred pods. An item is known by its unchanging part (`key`,
 * an object replaced whenever the item's record is), and `version` names
 * what may change in place (its state).
 */
export class CachedItemEncodings<Key extends object> {
  private readonly type: protobuf.Type;
  private readonly cache = new WeakMap<Key, { version: string; bytes: Uint8Array }>();

  /** `typeName`: the item's message, e.g. runtime.v1.PodSandbox. */
  constructor(typeName: string) {
    this.type = protoRoot('cri').lookupType(typeName);
  }

  bytesOf(key: Key, version: string, message: () => object): Uint8Array {
    const cached = this.cache.get(key);
    if (cached?.version === version) return cached.bytes;
    const bytes = this.type.encode(this.type.fromObject(message())).finish();
    this.cache.set(key, { version, bytes });
    return bytes;
  }
}

const ITEM_TAG = tag(1, WireType.lengthDelimited);

/** A reply whose one field is `repeated Item ... = 1` (ListPodSandboxResponse, ListContainersResponse), from its items' bytes. */
export function repeatedFieldOneReply(items: readonly Uint8Array[]): EncodedResponse {
  let size = 0;
  for (const item of items) size += 1 + varintSize(item.length) + item.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const item of items) {
    out[at++] = ITEM_TAG;
    at = writeVarint(out, at, item.length);
    out.set(item, at);
    at += item.length;
  }
  return new EncodedResponse(out);
}
