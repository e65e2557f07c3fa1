// Original file: api/nri/api.proto


export interface StartContainerResponse {
}

export interface StartContainerResponse__Output {
}
