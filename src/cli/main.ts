import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, LOG_FORMATS, LOG_LEVELS, loadConfig } from '../config/config.js';
import { createLogger } from '../log.js';
import { CRI_TS_NODE_ENV, CRI_TS_NODE_FLAGS } from './node-flags.js';
import { defaultConfigFile, packageVersion } from '../package-paths.js';
import type { CodeCache } from '../host/code-cache.js';

const USAGE = `usage:
  cri-ts serve [--config FILE] [--log-level LEVEL] [--log-format auto|json|text]
                                                     run the CRI service
  cri-ts doctor [--config FILE] [--json]             check this node for cri-ts; exit 1 on any fail
  cri-ts config default                              print the default config file
  cri-ts config check FILE                           validate a config file
  cri-ts version                                     print the version`;

function fail(message: string, exitCode = 2): never {
  process.stderr.write(`cri-ts: ${message}\n`);
  process.exit(exitCode);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) fail(`${flag}: must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

async function serve(args: string[], codeCache: CodeCache): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
    strict: true,
  });
  const config = await loadConfig(values.config);
  if (values['log-level'] !== undefined) config.logLevel = oneOf('--log-level', values['log-level'], LOG_LEVELS);
  if (values['log-format'] !== undefined) config.logFormat = oneOf('--log-format', values['log-format'], LOG_FORMATS);
  const log = createLogger(config.logLevel, config.logFormat);
  const missingFlags = [
    ...CRI_TS_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag) && !(process.env.NODE_OPTIONS ?? '').includes(flag)),
    ...Object.entries(CRI_TS_NODE_ENV).flatMap(([name, value]) => (process.env[name] === undefined ? [`${name}=${value}`] : [])),
  ];
  if (missingFlags.length > 0) log.warn({ missingFlags }, 'node was started without these flags or environment variables (see src/cli/node-flags.ts): cri-ts uses more memory under load');
  // Loaded here: `version`, `config` and `doctor` need none of the daemon's modules (grpc-js, the protos).
  const { startDaemon } = await import('../daemon.js');
  const daemon = await startDaemon(config, log, codeCache);
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'signal received');
    daemon.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A bug in one request's handler must not take every pod's runtime down with it.
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}

async function doctor(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, strict: true });
  const [{ diagnoseNode }, { formatReport, hasFailure }] = await Promise.all([import('../doctor/node-checks.js'), import('../doctor/report.js')]);
  const results = await diagnoseNode(values.config);
  const text = values.json ? `${JSON.stringify(results, null, 2)}\n` : formatReport(results, process.stdout.isTTY === true && !process.env.NO_COLOR);
  // Written out before exiting: a pipe would otherwise lose the end of it.
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  process.exit(hasFailure(results) ? 1 : 0);
}

async function configCommand(args: string[]): Promise<void> {
  const [sub, file, ...rest] = args;
  if (sub === 'default' && file === undefined) {
    process.stdout.write(readFileSync(defaultConfigFile, 'utf8'));
    return;
  }
  if (sub === 'check' && file !== undefined && rest.length === 0) {
    await loadConfig(file);
    process.stdout.write(`${file}: ok\n`);
    return;
  }
  fail(`config: expected "default" or "check FILE"\n${USAGE}`);
}

async function main(argv: string[], codeCache: CodeCache): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      return serve(args, codeCache);
    case 'config':
      return configCommand(args);
    case 'doctor':
      return doctor(args);
    case 'version':
    case '--version':
      process.stdout.write(`cri-ts ${packageVersion} (CRI runtime.v1)\n`);
      return;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      fail(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

/** The command line's entry, called by the launcher (launcher.ts) once the bundle runs. */
export function runCli(argv: string[], codeCache: CodeCache): void {
  main(argv, codeCache).catch((err: unknown) => {
    if (err instanceof ConfigError) fail(err.message, 1);
    fail(err instanceof Error ? (err.stack ?? err.message) : String(err), 1);
  });
}
