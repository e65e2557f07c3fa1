import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { socketAnswers } from '../../../src/server/socket.js';
import { cliPath, testConfigToml } from '../../harness/cri-ts.js';
import { stopProcess, waitFor } from '../../harness/processes.js';
import { makeTestDir } from '../../harness/test-dir.js';

const execFileAsync = promisify(execFile);
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `cri-ts serve` until its socket answers, stops it, and returns what it
 * wrote on stderr: through a pseudo-terminal made by script(1) when `terminal`,
 * else through a pipe. No containerd is needed to start serving.
 */
async function serveOutput(dir: string, config: string, extraArgs: string[], terminal: boolean): Promise<string> {
  const socket = join(dir, 'cri-ts.sock');
  const args = [cliPath, 'serve', '--config', config, ...extraArgs];
  const child = terminal
    ? // exec keeps the shell's pid, printed first, so the daemon itself can be stopped.
      spawn('script', ['-qec', `echo PID=$$; exec ${[process.execPath, ...args].map(shellQuote).join(' ')}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  (terminal ? child.stdout : child.stderr)?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await waitFor(`cri-ts at ${socket}`, () => socketAnswers(socket), 30_000);
    const pid = terminal ? Number(/PID=(\d+)/.exec(output)?.[1]) : child.pid!;
    process.kill(pid, 'SIGTERM');
    await closed;
  } finally {
    await stopProcess(child, 'SIGKILL', 1000);
  }
  return output.replace(/\r\n/g, '\n').replace(/^PID=\d+\n/, '');
}

const logLines = (output: string): string[] => output.split('\n').filter((l) => l.trim() !== '');

function assertJson(output: string): void {
  const entries = logLines(output).map((l) => JSON.parse(l) as { msg?: string; level?: number });
  assert.ok(entries.some((e) => e.msg === 'starting cri-ts' && e.level === 30), output);
}

function assertText(output: string): void {
  const lines = logLines(output.replace(/\u001b\[[0-9;]*m/g, ''));
  assert.ok(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} INFO  starting cri-ts version=\S+/.test(l)), output);
  assert.ok(lines.every((l) => !l.startsWith('{')), `a JSON line in text mode:\n${output}`);
}

describe('log format: text on a terminal, JSON elsewhere', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let config: string;
  let jsonConfig: string;
  before(async () => {
    ({ dir, remove } = await makeTestDir('logfmt'));
    const toml = testConfigToml(dir, { containerdAddress: join(dir, 'no-containerd.sock') });
    config = join(dir, 'auto.toml');
    await writeFile(config, toml);
    jsonConfig = join(dir, 'json.toml');
    await writeFile(jsonConfig, toml.replace('log_level = "debug"', 'log_level = "debug"\nlog_format = "json"'));
  });
  after(() => remove());

  it('prints readable lines when stderr is a terminal', async () => {
    const output = await serveOutput(dir, config, [], true);
    assertText(output);
    assert.match(output, /\u001b\[32mINFO \u001b\[0m/, 'levels are coloured on a terminal');
  });

  it('prints JSON on a terminal when the config says log_format = "json"', async () => {
    assertJson(await serveOutput(dir, jsonConfig, [], true));
  });

  it('prints JSON when stderr is not a terminal', async () => {
    assertJson(await serveOutput(dir, config, [], false));
  });

  it('prints uncoloured text into a pipe with --log-format text', async () => {
    const output = await serveOutput(dir, jsonConfig, ['--log-format', 'text'], false);
    assertText(output);
    assert.doesNotMatch(output, /\u001b\[/);
  });

  it('refuses an unknown --log-format or --log-level, naming the flag', async () => {
    for (const [flag, value] of [['--log-format', 'yaml'], ['--log-level', 'loud']] as const) {
      const failed = await execFileAsync(process.execPath, [cliPath, 'serve', '--config', config, flag, value]).then(
        () => assert.fail(`${flag} ${value} was accepted`),
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, new RegExp(`${flag}: must be one of .*got "${value}"`));
    }
  });
});
