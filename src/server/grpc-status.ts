import * as grpc from '@grpc/grpc-js';
import { clipInput, CriError, type CriErrorKind, errorMessage, wellFormed } from '../errors.js';

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

/**
 * The status message travels in an HTTP/2 trailer, and grpc-js never sends a
 * header block over 64 KiB (http2's maxSendHeaderBlockLength): the call, and
 * the calls after it on the connection, went unanswered. Percent-encoding can
 * triple the bytes, so the text stays well below that.
 */
export const MAX_STATUS_MESSAGE_CHARS = 8192;

/** The one place where domain errors become gRPC statuses. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> & { code: grpc.status; details: string } {
  const code = err instanceof CriError ? STATUS_BY_KIND[err.kind] : grpc.status.INTERNAL;
  // grpc-js percent-encodes the message with encodeURI, which throws on a lone surrogate: the call then went unanswered.
  return { code, details: wellFormed(clipInput(errorMessage(err), MAX_STATUS_MESSAGE_CHARS)) };
}
