import { constants } from 'node:os';
import { InvalidArgumentError } from '../errors.js';

/** A signal by name ("SIGTERM", "TERM") or number ("15") as a number. */
export function signalNumber(name: string, field: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const upper = name.toUpperCase();
  const key = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as keyof typeof constants.signals;
  const value = constants.signals[key];
  if (value === undefined) throw new InvalidArgumentError(`${field}: unknown signal "${name}"`);
  return value;
}
