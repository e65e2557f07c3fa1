import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// The whole package of a .proto set through @grpc/proto-loader, for tools and
// benchmarks that want it (test/bench). cri-ts itself serves and calls from the
// precompiled descriptors (grpc-service.ts): this parse is too slow for start-up.
// Must match the flags in scripts/gen-types.sh, or the generated types lie.
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export function loadProtoPackage(files: string[], includeDirs: string[]): grpc.GrpcObject {
  const definition = protoLoader.loadSync(files, { ...LOADER_OPTIONS, includeDirs });
  return grpc.loadPackageDefinition(definition);
}
