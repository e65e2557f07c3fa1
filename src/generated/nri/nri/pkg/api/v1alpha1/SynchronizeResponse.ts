// Original file: api/nri/api.proto

import type { ContainerUpdate as _nri_pkg_api_v1alpha1_ContainerUpdate, ContainerUpdate__Output as _nri_pkg_api_v1alpha1_ContainerUpdate__Output } from '../../../../nri/pkg/api/v1alpha1/ContainerUpdate.js';

export interface SynchronizeResponse {
  'update'?: (_nri_pkg_api_v1alpha1_ContainerUpdate)[];
  'more'?: (boolean);
}

export interface SynchronizeResponse__Output {
  'update': (_nri_pkg_api_v1alpha1_ContainerUpdate__Output)[];
  'more': (boolean);
}
