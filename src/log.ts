import { destination, pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr, so stdout stays free for CLI output. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'cri-ts' } }, destination({ fd: 2, sync: false }));
}
