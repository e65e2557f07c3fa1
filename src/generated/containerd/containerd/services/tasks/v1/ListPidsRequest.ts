// Original file: api/containerd/services/tasks/v1/tasks.proto


export interface ListPidsRequest {
  'containerId'?: (string);
}

export interface ListPidsRequest__Output {
  'containerId': (string);
}
