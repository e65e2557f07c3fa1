// Original file: api/nri/api.proto


export interface RemoveContainerResponse {
}

export interface RemoveContainerResponse__Output {
}
