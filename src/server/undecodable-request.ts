import { clipInput, errorMessage } from '../errors.js';

/**
 * Stands in for a request whose bytes are not a valid message of its type.
 * grpc-js answers a decoding failure itself with INTERNAL "Error deserializing
 * request"; decoding through `decodeOrMark` instead lets the handler answer
 * InvalidArgument, naming the message type and why.
 */
export class UndecodableRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
    readonly byteLength: number,
  ) {}

  describe(): string {
    return `request is not a valid ${this.typeName} (${this.byteLength} bytes): ${this.reason}`;
  }
}

/** Wraps a request decoder so that it never throws: bad bytes become an UndecodableRequest. */
export function decodeOrMark(typeName: string, deserialize: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return deserialize(bytes);
    } catch (err) {
      return new UndecodableRequest(typeName, clipInput(errorMessage(err), 200), bytes.length);
    }
  };
}
