import { isatty } from 'node:tty';
import { destination, pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export type LogFormat = 'auto' | 'json' | 'text';

/** "auto" reads as text on a terminal, where a person reads it, and JSON anywhere else. */
export function resolveLogFormat(format: LogFormat, stderrIsTerminal: boolean): 'json' | 'text' {
  return format === 'auto' ? (stderrIsTerminal ? 'text' : 'json') : format;
}

/**
 * Logs on stderr, so stdout stays free for CLI output: JSON lines written
 * asynchronously, or (for a terminal) one readable line per entry.
 */
export function createLogger(level: string, format: LogFormat = 'json', stderrIsTerminal = isatty(2)): Logger {
  const options = { level, base: { service: 'cri-ts' } };
  if (resolveLogFormat(format, stderrIsTerminal) === 'json') return pino(options, destination({ fd: 2, sync: false }));
  const colour = stderrIsTerminal && !process.env.NO_COLOR;
  return pino(options, textStream(destination({ fd: 2, sync: true }), colour));
}

/** Turns pino's JSON lines into text lines on their way to `out`; the JSON path never passes here. */
export function textStream(out: { write(text: string): unknown }, colour: boolean): DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line, colour)) };
}

const LEVELS: Record<number, { name: string; ansi: string }> = {
  10: { name: 'TRACE', ansi: '90' },
  20: { name: 'DEBUG', ansi: '36' },
  30: { name: 'INFO', ansi: '32' },
  40: { name: 'WARN', ansi: '33' },
  50: { name: 'ERROR', ansi: '31' },
  60: { name: 'FATAL', ansi: '1;31' },
};
/** Fields every line has, shown in the line's head or not at all. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

function paint(text: string, ansi: string, colour: boolean): string {
  return colour ? `\u001b[${ansi}m${text}\u001b[0m` : text;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function clockTime(epochMs: number): string {
  const t = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${String(t.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * One JSON log line as `HH:MM:SS.mmm LEVEL message key=value ...`. At error
 * and fatal the error's stack follows on indented lines (a warning that is
 * retried would otherwise fill the screen). A line that is not JSON passes unchanged.
 */
export function formatLogLine(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const levelNumber = typeof entry.level === 'number' ? entry.level : 30;
  const level = LEVELS[levelNumber] ?? { name: String(entry.level), ansi: '0' };
  const parts = [clockTime(typeof entry.time === 'number' ? entry.time : Date.now()), paint(level.name.padEnd(5), level.ansi, colour)];
  if (typeof entry.msg === 'string' && entry.msg !== '') parts.push(entry.msg);
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key)) continue;
    const error = value as { message?: unknown; stack?: unknown } | null;
    const isError = typeof error === 'object' && error !== null && typeof error.message === 'string';
    parts.push(`${paint(key, '2', colour)}=${fieldValue(isError ? error.message : value)}`);
    if (isError && levelNumber >= 50 && typeof error.stack === 'string') stacks.push(error.stack.replace(/^/gm, '    '));
  }
  return `${[parts.join(' '), ...stacks].join('\n')}\n`;
}
