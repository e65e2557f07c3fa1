// Original file: api/containerd/services/tasks/v1/tasks.proto


export interface ExecProcessResponse {
}

export interface ExecProcessResponse__Output {
}
