// Original file: api/nri/api.proto


export interface OptionalFileMode {
  'value'?: (number);
}

export interface OptionalFileMode__Output {
  'value': (number);
}
