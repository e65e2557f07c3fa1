import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';
import { apiDir } from '../package-paths.js';

/** The schemas cri-ts speaks: api/descriptors/NAME.json, made from api/'s .proto files by scripts/gen-descriptors.mjs. */
export type DescriptorName = 'cri' | 'containerd' | 'nri';

const roots = new Map<DescriptorName, protobuf.Root>();

/**
 * The protobufjs types of one schema, built on first use from its JSON
 * descriptor: parsing the .proto text (and describing every message, as
 * @grpc/proto-loader does) cost more at start than everything else cri-ts
 * does before it answers.
 * Field names are camelCase, as the generated types in src/generated expect.
 */
export function protoRoot(name: DescriptorName): protobuf.Root {
  let root = roots.get(name);
  if (!root) {
    const json = JSON.parse(readFileSync(`${apiDir}/descriptors/${name}.json`, 'utf8')) as protobuf.INamespace;
    // Not Root.fromJSON: it resolves every type (and generates its code) at once; a type resolves itself when first used.
    root = new protobuf.Root().addJSON(json.nested ?? {}) as protobuf.Root;
    roots.set(name, root);
  }
  return root;
}

/** Decoded messages as the generated __Output types describe them: int64 as decimal strings, enums by name, every field present. */
export const OUTPUT_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };
