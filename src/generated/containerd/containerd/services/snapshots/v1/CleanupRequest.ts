// Original file: api/containerd/services/snapshots/v1/snapshots.proto


export interface CleanupRequest {
  'snapshotter'?: (string);
}

export interface CleanupRequest__Output {
  'snapshotter': (string);
}
