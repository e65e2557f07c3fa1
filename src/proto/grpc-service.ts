import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs/light.js';
import { type DescriptorName, OUTPUT_OPTIONS, protoRoot } from './descriptors.js';

function serializer(type: protobuf.Type): grpc.serialize<unknown> {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`cannot serialize an array as ${type.fullName}`);
    return type.encode(type.fromObject(value as Record<string, unknown>)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): grpc.deserialize<unknown> {
  return (bytes) => type.toObject(type.decode(bytes), OUTPUT_OPTIONS);
}

/**
 * A gRPC service definition (what grpc-js clients and servers take) built
 * from a precompiled descriptor: the paths, stream flags and (de)serializers
 * of each method, as @grpc/proto-loader makes them with cri-ts's options,
 * without its per-message descriptor protos nobody reads.
 */
export function grpcService<D = grpc.ServiceDefinition>(schema: DescriptorName, fullName: string): D {
  const service = protoRoot(schema).lookupService(fullName);
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition as D;
}
