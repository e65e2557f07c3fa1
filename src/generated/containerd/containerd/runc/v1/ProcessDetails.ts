// Original file: api/containerd/runtime/v2/runc/options/oci.proto


export interface ProcessDetails {
  'execId'?: (string);
}

export interface ProcessDetails__Output {
  'execId': (string);
}
