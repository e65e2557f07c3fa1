// Original file: api/cri/v1/api.proto


export interface CheckpointPodResponse {
}

export interface CheckpointPodResponse__Output {
}
