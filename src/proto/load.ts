import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

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
