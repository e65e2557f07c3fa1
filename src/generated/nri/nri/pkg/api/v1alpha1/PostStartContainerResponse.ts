// Original file: api/nri/api.proto


export interface PostStartContainerResponse {
}

export interface PostStartContainerResponse__Output {
}
