// Fake CNI plugins (shell scripts) that record each call as a JSON line and
// print canned output, for testing plugin execution without root.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';

export interface RecordedCall {
  plugin: string;
  command: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  input: Record<string, unknown>;
}

export interface FakePluginBehaviour {
  /** Printed on ADD (default: a 1.0.0 result with address 10.0.0.<n>/24 on eth0). */
  addOutput?: string;
  /** Exit code and output for the given command. */
  failOn?: { command: string; exitCode: number; stdout: string };
  /** Sleep this many seconds before answering. */
  sleepSeconds?: number;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Writes `<binDir>/<name>` logging to `<binDir>/calls.log`. */
export async function writeFakePlugin(binDir: string, name: string, behaviour: FakePluginBehaviour = {}): Promise<void> {
  const log = join(binDir, 'calls.log');
  const addOutput =
    behaviour.addOutput ??
    JSON.stringify({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/x' }],
      ips: [{ address: '10.0.0.2/24', interface: 0 }],
      dns: { domain: name },
    });
  const lines = [
    '#!/bin/sh',
    'input=$(cat)',
    `printf '{"plugin":"%s","command":"%s","containerId":"%s","netns":"%s","ifName":"%s","args":"%s","path":"%s","input":%s}\\n' ${shellQuote(name)} "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$input" >> ${shellQuote(log)}`,
  ];
  if (behaviour.sleepSeconds) lines.push(`sleep ${behaviour.sleepSeconds}`);
  if (behaviour.failOn) {
    lines.push(`if [ "$CNI_COMMAND" = ${shellQuote(behaviour.failOn.command)} ]; then printf '%s' ${shellQuote(behaviour.failOn.stdout)}; exit ${behaviour.failOn.exitCode}; fi`);
  }
  lines.push(`if [ "$CNI_COMMAND" = ADD ]; then printf '%s' ${shellQuote(addOutput)}; fi`, 'exit 0', '');
  const file = join(binDir, name);
  await writeFile(file, lines.join('\n'));
  await chmod(file, 0o755);
}

export async function readCalls(binDir: string): Promise<RecordedCall[]> {
  let text: string;
  try {
    text = await readFile(join(binDir, 'calls.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RecordedCall);
}

export async function clearCalls(binDir: string): Promise<void> {
  await writeFile(join(binDir, 'calls.log'), '');
}

export interface CapturedLog {
  log: Logger;
  lines: Array<{ level: number; msg: string; [key: string]: unknown }>;
}

/** A pino logger whose records are kept in memory. */
export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as CapturedLog['lines'][number]) });
  return { log, lines };
}
