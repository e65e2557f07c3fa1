import * as grpc from '@grpc/grpc-js';
import { CriError, type CriErrorKind } from '../errors.js';

const STATUS_BY_KIND: Record<CriErrorKind, grpc.status> = {
  InvalidArgument: grpc.status.INVALID_ARGUMENT,
  NotFound: grpc.status.NOT_FOUND,
  AlreadyExists: grpc.status.ALREADY_EXISTS,
  FailedPrecondition: grpc.status.FAILED_PRECONDITION,
  DeadlineExceeded: grpc.status.DEADLINE_EXCEEDED,
  Unavailable: grpc.status.UNAVAILABLE,
  Unimplemented: grpc.status.UNIMPLEMENTED,
  ResourceExhausted: grpc.status.RESOURCE_EXHAUSTED,
  Unauthenticated: grpc.status.UNAUTHENTICATED,
  Internal: grpc.status.INTERNAL,
};

/** The one place where domain errors become gRPC statuses. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> & { code: grpc.status; details: string } {
  if (err instanceof CriError) return { code: STATUS_BY_KIND[err.kind], details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message };
}
