// Original file: api/containerd/events/snapshot.proto


export interface SnapshotPrepare {
  'key'?: (string);
  'parent'?: (string);
}

export interface SnapshotPrepare__Output {
  'key': (string);
  'parent': (string);
}
