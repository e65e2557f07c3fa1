// Original file: api/containerd/events/snapshot.proto


export interface SnapshotRemove {
  'key'?: (string);
}

export interface SnapshotRemove__Output {
  'key': (string);
}
