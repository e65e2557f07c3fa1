// Original file: api/nri/api.proto


export interface PostUpdatePodSandboxResponse {
}

export interface PostUpdatePodSandboxResponse__Output {
}
