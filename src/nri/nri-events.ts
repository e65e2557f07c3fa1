import type { NriEvent } from './nri-types.js';

/** The event numbers of NRI's Event enum, for subscription masks (bit event-1). */
export const EventNumber: Record<Exclude<NriEvent, 'UNKNOWN' | 'LAST'>, number> = {
  RUN_POD_SANDBOX: 1,
  STOP_POD_SANDBOX: 2,
  REMOVE_POD_SANDBOX: 3,
  CREATE_CONTAINER: 4,
  POST_CREATE_CONTAINER: 5,
  START_CONTAINER: 6,
  POST_START_CONTAINER: 7,
  UPDATE_CONTAINER: 8,
  POST_UPDATE_CONTAINER: 9,
  STOP_CONTAINER: 10,
  REMOVE_CONTAINER: 11,
  UPDATE_POD_SANDBOX: 12,
  POST_UPDATE_POD_SANDBOX: 13,
  VALIDATE_CONTAINER_ADJUSTMENT: 14,
};

export type SubscribableEvent = keyof typeof EventNumber;

/** Every event a plugin may subscribe to; a plugin answering 0 gets all of them. */
export const ALL_EVENTS_MASK = (1 << 14) - 1;

export function isSubscribed(mask: number, event: SubscribableEvent): boolean {
  return (mask & (1 << (EventNumber[event] - 1))) !== 0;
}

/**
 * The Plugin service methods that plugins built before they existed answer
 * UNIMPLEMENTED to; those get the event as a StateChange instead.
 */
export const STATE_CHANGE_FALLBACK: Partial<Record<string, SubscribableEvent>> = {
  RunPodSandbox: 'RUN_POD_SANDBOX',
  StopPodSandbox: 'STOP_POD_SANDBOX',
  RemovePodSandbox: 'REMOVE_POD_SANDBOX',
  PostCreateContainer: 'POST_CREATE_CONTAINER',
  StartContainer: 'START_CONTAINER',
  PostStartContainer: 'POST_START_CONTAINER',
  PostUpdateContainer: 'POST_UPDATE_CONTAINER',
  RemoveContainer: 'REMOVE_CONTAINER',
  PostUpdatePodSandbox: 'POST_UPDATE_POD_SANDBOX',
};
