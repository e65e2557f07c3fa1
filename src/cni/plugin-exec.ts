// Running one CNI plugin binary (CNI spec 1.0 / 0.4.0 calling convention):
// environment variables carry the command and attachment, stdin the plugin's
// config, stdout the result or a {code, msg, details} error.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../host/command-runner.js';
import { CriError, type CriErrorKind } from '../errors.js';
import type { Logger } from '../log.js';
import { metrics, withOutcome } from '../metrics/metrics.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC';

/** Ordered key=value pairs for CNI_ARGS. */
export type CniArgs = Array<[string, string]>;

export const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The CNI_ARGS kubelet-era runtimes pass: pod identity plus IgnoreUnknown=1 so plugins accept unknown keys. */
export function podCniArgs(pod: { podNamespace: string; podName: string; podId: string; podUid: string }): CniArgs {
  return [
    ['K8S_POD_NAMESPACE', pod.podNamespace],
    ['K8S_POD_NAME', pod.podName],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.podId],
    ['K8S_POD_UID', pod.podUid],
    ['IgnoreUnknown', '1'],
  ];
}

/** "K1=v1;K2=v2". Keys and values cannot hold ';' or '=' (keys) since plugins split on them. */
export function cniArgsString(args: CniArgs): string {
  return args
    .map(([key, value]) => {
      if (key === '' || /[;=]/.test(key)) throw new CriError('InvalidArgument', `CNI_ARGS key ${JSON.stringify(key)} must be non-empty without ";" or "="`);
      if (value.includes(';')) throw new CriError('InvalidArgument', `CNI_ARGS value of ${key} must not contain ";": ${JSON.stringify(value)}`);
      return `${key}=${value}`;
    })
    .join(';');
}

/** Finds the plugin binary `type` in the first of `binDirs` that holds it. */
export async function findPluginBinary(type: string, binDirs: string[], network: string): Promise<string> {
  if (type === '' || type.includes('/') || type === '.' || type === '..') {
    throw new CriError('FailedPrecondition', `network "${network}": plugin type ${JSON.stringify(type)} must be a plain binary name found in the CNI bin dirs`);
  }
  for (const dir of binDirs) {
    const candidate = join(dir, type);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here (or not executable); try the next dir
    }
  }
  throw new CriError(
    'FailedPrecondition',
    `CNI plugin "${type}" of network "${network}" was not found in ${binDirs.length > 0 ? binDirs.join(', ') : '(no directories)'}: ` +
      `install the plugin binary there or add its directory to cni.bin_dirs`,
  );
}

const CNI_ERROR_NAMES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
  50: 'plugin not available',
  51: 'plugin not available, existing containers may be damaged',
  999: 'internal plugin error',
};

/** A plugin failed: either its own error JSON (code/msg/details) or an exit without one. */
export class CniPluginError extends CriError {
  readonly network: string;
  readonly pluginType: string;
  readonly command: CniCommand;
  readonly cniCode: number | undefined;
  readonly cniMsg: string;
  readonly details: string | undefined;

  constructor(
    kind: CriErrorKind,
    message: string,
    fields: { network: string; pluginType: string; command: CniCommand; cniCode?: number; cniMsg: string; details?: string },
  ) {
    super(kind, message);
    this.network = fields.network;
    this.pluginType = fields.pluginType;
    this.command = fields.command;
    this.cniCode = fields.cniCode;
    this.cniMsg = fields.cniMsg;
    this.details = fields.details;
  }
}

function kindForCniCode(code: number): CriErrorKind {
  if (code === 1 || code === 2 || code === 6 || code === 7) return 'FailedPrecondition';
  if (code === 11 || code === 50 || code === 51) return 'Unavailable';
  return 'Internal';
}

function firstLines(text: string, max = 500): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max)}...` : trimmed;
}

/**
 * Builds the error for a failed plugin run from what it printed. The CNI
 * error JSON ({cniVersion, code, msg, details}) is looked for on stdout (the
 * spec's place) and then stderr.
 */
export function pluginFailure(args: {
  network: string;
  pluginType: string;
  command: CniCommand;
  stdout: string;
  stderr: string;
  exitCode?: number;
}): CniPluginError {
  const where = `CNI plugin "${args.pluginType}" of network "${args.network}" failed on ${args.command}`;
  for (const text of [args.stdout, args.stderr]) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) continue;
    const record = doc as Record<string, unknown>;
    if (typeof record.code !== 'number' && typeof record.msg !== 'string') continue;
    const code = typeof record.code === 'number' ? record.code : undefined;
    const msg = typeof record.msg === 'string' ? record.msg : '';
    const details = typeof record.details === 'string' && record.details !== '' ? record.details : undefined;
    const codeText = code === undefined ? 'CNI error' : `CNI error code ${code}${CNI_ERROR_NAMES[code] ? ` (${CNI_ERROR_NAMES[code]})` : ''}`;
    const message = `${where}: ${codeText}: ${msg || '(no message)'}${details ? `; details: ${details}` : ''}`;
    return new CniPluginError(code === undefined ? 'Internal' : kindForCniCode(code), message, {
      network: args.network,
      pluginType: args.pluginType,
      command: args.command,
      ...(code !== undefined ? { cniCode: code } : {}),
      cniMsg: msg,
      ...(details !== undefined ? { details } : {}),
    });
  }
  const output = firstLines(args.stderr) || firstLines(args.stdout) || '(no output)';
  const exit = args.exitCode === undefined ? '' : ` (exit code ${args.exitCode})`;
  return new CniPluginError('Internal', `${where}${exit}: ${output}`, {
    network: args.network,
    pluginType: args.pluginType,
    command: args.command,
    cniMsg: output,
  });
}

export interface PluginCall {
  command: CniCommand;
  /** For messages and logs. */
  network: string;
  pluginType: string;
  /** The document written to stdin (see pluginInput). */
  input: Record<string, unknown>;
  /** ADD/DEL/CHECK only. */
  containerId?: string;
  netns?: string;
  ifName?: string;
  cniArgs?: CniArgs;
}

export interface PluginRunOptions {
  binDirs: string[];
  timeoutMs?: number;
  log: Logger;
}

/** The environment of a plugin call: the CNI_* variables plus PATH (plugins such as portmap run iptables). */
export function pluginEnv(call: PluginCall, binDirs: string[]): Record<string, string> {
  const env: Record<string, string> = {
    CNI_COMMAND: call.command,
    CNI_PATH: binDirs.join(':'),
    PATH: process.env.PATH ?? DEFAULT_PATH,
  };
  if (call.containerId !== undefined) env.CNI_CONTAINERID = call.containerId;
  if (call.netns !== undefined) env.CNI_NETNS = call.netns;
  if (call.ifName !== undefined) env.CNI_IFNAME = call.ifName;
  if (call.cniArgs !== undefined) env.CNI_ARGS = cniArgsString(call.cniArgs);
  return env;
}

/**
 * Runs a plugin and returns its stdout as a JSON object, or undefined when it
 * printed nothing (DEL, CHECK, STATUS, GC normally print nothing).
 */
export function runPlugin(call: PluginCall, options: PluginRunOptions): Promise<Record<string, unknown> | undefined> {
  return withOutcome(
    () => runPluginOnce(call, options),
    (result, seconds) => metrics.cniPluginCall(call.pluginType, call.command, result, seconds),
  );
}

async function runPluginOnce(call: PluginCall, options: PluginRunOptions): Promise<Record<string, unknown> | undefined> {
  const binary = await findPluginBinary(call.pluginType, options.binDirs, call.network);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  const context = { network: call.network, plugin: call.pluginType, command: call.command, containerId: call.containerId, ifName: call.ifName };
  options.log.debug(context, 'running CNI plugin');
  // The plugin runs in its own process group so a timeout kills whatever it
  // started too (a grandchild holding stdout open would otherwise keep us waiting).
  const run = await runCommand({
    file: binary,
    args: [],
    input: JSON.stringify(call.input),
    env: pluginEnv(call, options.binDirs),
    cwd: '/',
    ownProcessGroup: true,
    timeoutMs,
  });
  const { stdout, stderr } = run;
  if (stderr.trim() !== '') options.log.debug({ ...context, stderr: firstLines(stderr, 4000) }, 'CNI plugin stderr');
  if (run.timedOut) {
    throw new CriError(
      'DeadlineExceeded',
      `CNI plugin "${call.pluginType}" of network "${call.network}" did not finish ${call.command} within ${timeoutMs} ms and was killed`,
    );
  }
  if (run.exitCode === undefined) {
    // could not start, or killed by a signal
    const why = run.signal ? `killed by ${run.signal}` : (run.startError ?? 'could not be started');
    throw new CriError('Internal', `CNI plugin "${call.pluginType}" of network "${call.network}" (${binary}) failed on ${call.command}: ${why}`);
  }
  if (run.exitCode !== 0) {
    throw pluginFailure({ network: call.network, pluginType: call.pluginType, command: call.command, stdout, stderr, exitCode: run.exitCode });
  }
  if (stdout.trim() === '') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (err) {
    throw new CriError(
      'Internal',
      `CNI plugin "${call.pluginType}" of network "${call.network}" printed non-JSON output on ${call.command}: ${(err as Error).message}: ${firstLines(stdout, 200)}`,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CriError('Internal', `CNI plugin "${call.pluginType}" of network "${call.network}" printed ${JSON.stringify(doc)} on ${call.command}, not a JSON object`);
  }
  return doc as Record<string, unknown>;
}
