// Original file: api/containerd/events/namespace.proto


export interface NamespaceDelete {
  'name'?: (string);
}

export interface NamespaceDelete__Output {
  'name': (string);
}
