// Original file: api/nri/api.proto


export interface RunPodSandboxResponse {
}

export interface RunPodSandboxResponse__Output {
}
