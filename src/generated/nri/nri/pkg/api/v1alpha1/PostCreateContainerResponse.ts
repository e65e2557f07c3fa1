// Original file: api/nri/api.proto


export interface PostCreateContainerResponse {
}

export interface PostCreateContainerResponse__Output {
}
