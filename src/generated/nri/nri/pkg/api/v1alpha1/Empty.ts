// Original file: api/nri/api.proto


export interface Empty {
}

export interface Empty__Output {
}
