import { constants } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { Signal, type Signal__Output } from '../generated/cri/runtime/v1/Signal.js';

/** A signal by name ("SIGTERM", "TERM") or number ("15") as a number. */
export function signalNumber(name: string, field: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const upper = name.toUpperCase();
  const key = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as keyof typeof constants.signals;
  const value = constants.signals[key];
  if (value === undefined) throw new InvalidArgumentError(`${field}: unknown signal "${name}"`);
  return value;
}

// The C library keeps the kernel's first two real-time signals (32, 33) for itself, so programs
// (and Go's runtimes) count SIGRTMIN from 34; Node names none of these.
const SIGRTMIN = 34;
const SIGRTMAX = 64;
const CRI_PREFIX = 'SIGNAL_';

/**
 * The number of a CRI Signal enum value, by the name cri-api v0.37 gives it
 * ("SIGNAL_SIGTERM") or the one before it ("SIGTERM", as older records hold
 * it); undefined for the runtime default.
 */
export function criSignalNumber(value: string, field: string): number | undefined {
  const text = String(value); // an enum number the schema does not know arrives as a number
  const name = text.startsWith(CRI_PREFIX) ? text.slice(CRI_PREFIX.length) : text;
  if (name === '' || name === 'RUNTIME_DEFAULT') return undefined;
  const realtime = /^SIGRT(?:MIN(?:PLUS(\d+))?|MAX(?:MINUS(\d+))?)$/.exec(name);
  if (realtime) {
    const [, plus, minus] = realtime;
    const number = name.startsWith('SIGRTMIN') ? SIGRTMIN + Number(plus ?? 0) : SIGRTMAX - Number(minus ?? 0);
    if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
  } else if (name === 'SIGCLD') {
    return constants.signals.SIGCHLD;
  } else if (name.startsWith('SIG')) {
    const number = constants.signals[name as keyof typeof constants.signals] as number | undefined;
    if (number !== undefined) return number;
  }
  throw new InvalidArgumentError(`${field}: unknown signal "${text}"`);
}

/** A stored Signal enum name as the schema spells it now, for replies; the runtime default for what it does not know. */
export function criSignalName(value: string): Signal__Output {
  const text = String(value);
  const name = text.startsWith(CRI_PREFIX) ? text : `${CRI_PREFIX}${text}`;
  return Object.hasOwn(Signal, name) ? (name as Signal__Output) : Signal.SIGNAL_RUNTIME_DEFAULT;
}
