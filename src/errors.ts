// Typed errors thrown by domain modules. Only src/server/grpc-status.ts knows
// how they become gRPC status codes, so domain code never imports grpc-js.

export type CriErrorKind =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'DeadlineExceeded'
  | 'Unavailable'
  | 'Unimplemented'
  | 'ResourceExhausted'
  | 'Unauthenticated'
  | 'Internal';

export class CriError extends Error {
  readonly kind: CriErrorKind;

  constructor(kind: CriErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = `${kind}Error`;
  }
}

export class InvalidArgumentError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidArgument', message, options);
  }
}

export class NotFoundError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NotFound', message, options);
  }
}

export class AlreadyExistsError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AlreadyExists', message, options);
  }
}

export class FailedPreconditionError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FailedPrecondition', message, options);
  }
}

export class DeadlineExceededError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DeadlineExceeded', message, options);
  }
}

export class UnavailableError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Unavailable', message, options);
  }
}

export class UnimplementedError extends CriError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Unimplemented', message, options);
  }
}

/**
 * Client input as an error message or log line quotes it: at most `max`
 * characters, with the full length said. A status message carries what it
 * quotes back to the client, and a huge one must not reach the wire.
 */
export function clipInput(text: string, max = 128): string {
  if (text.length <= max) return text;
  // Never cut between the two halves of a surrogate pair: a lone half cannot be encoded (encodeURI throws on it).
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/** `text` with any lone surrogate half replaced by U+FFFD, so that it can be UTF-8 and URI encoded. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `err` is a CriError of `kind` (containerd's answers arrive as these too). */
export function isCriError(err: unknown, kind: CriErrorKind): err is CriError {
  return err instanceof CriError && err.kind === kind;
}

/** For `.catch()` on deletions: something already gone is what was wanted. */
export function ignoreNotFound(err: unknown): void {
  if (!isCriError(err, 'NotFound')) throw err;
}
