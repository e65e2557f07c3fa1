/**
 * A response already in protobuf wire form, sent as it is. For replies too
 * large for the generic encoder (ListPodSandboxMetrics: ten thousand series at
 * a hundred pods), whose handler writes the bytes itself.
 */
export class EncodedResponse {
  constructor(readonly bytes: Buffer) {}
}
