import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnDaemon, waitFor } from './processes.js';

const execFileAsync = promisify(execFile);

export interface TestRegistry {
  /** '127.0.0.1:PORT', the registry part of image references. */
  readonly host: string;
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly logPath: string;
  stop(): Promise<void>;
}

export interface TestRegistryOptions {
  htpasswd?: { username: string; password: string };
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One plain-HTTP exchange with the whole body buffered; enough for registry fixtures. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const method = options.method ?? 'GET';
    // A timer of our own rather than req.setTimeout: that one stays on the pooled keep-alive socket and holds the test process open.
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${url} timed out`)), options.timeoutMs ?? 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    const req = httpRequestRaw(url, { method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

export function basicAuth(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** A port free right now; the registry binds it a moment later (a small race, retried on failure). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** bcrypt is the only hash distribution's htpasswd backend accepts. */
async function writeHtpasswd(path: string, credentials: { username: string; password: string }): Promise<void> {
  const { stdout } = await execFileAsync('htpasswd', ['-Bbn', credentials.username, credentials.password]);
  await writeFile(path, `${stdout.trim()}\n`, { mode: 0o600 });
}

// JSON is valid YAML, so the config needs no YAML writer and no quoting rules.
function registryConfig(dir: string, port: number, htpasswdPath?: string): string {
  return JSON.stringify(
    {
      version: '0.1',
      log: { level: 'info', formatter: 'text' },
      storage: {
        filesystem: { rootdirectory: join(dir, 'data') },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
      ...(htpasswdPath ? { auth: { htpasswd: { realm: 'cri-ts-test-registry', path: htpasswdPath } } } : {}),
    },
    null,
    2,
  );
}

/** REGISTRY_* variables override config.yml keys (REGISTRY_HTTP_ADDR etc.); the fixture must not inherit any. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
}

async function v2Answers(url: string, authenticated: boolean): Promise<boolean> {
  try {
    const { status } = await httpRequest(`${url}/v2/`, { timeoutMs: 1_000 });
    return status === 200 || (authenticated && status === 401);
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL after 5 s. Not stopProcess(): its grace timer is never cleared
 * and would keep the test process alive for 10 s after the registry has gone.
 */
async function stopRegistry(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startOnce(dir: string, logPath: string, htpasswdPath: string | undefined): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, registryConfig(dir, port, htpasswdPath));
  const child = spawnDaemon('docker-registry', ['serve', configPath], logPath, registryEnv());
  try {
    await waitFor(`docker-registry on 127.0.0.1:${port}`, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`docker-registry exited with ${child.exitCode ?? child.signalCode}; see ${logPath}`);
      return v2Answers(`http://127.0.0.1:${port}`, htpasswdPath !== undefined);
    }, 15_000);
  } catch (err) {
    await stopRegistry(child, 'SIGKILL');
    throw err;
  }
  return { child, port };
}

/** A real distribution v2 registry of the test's own, plain HTTP on a free loopback port, storage under `dir`. */
export async function startTestRegistry(dir: string, options: TestRegistryOptions = {}): Promise<TestRegistry> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const logPath = join(dir, 'registry.log');
  let htpasswdPath: string | undefined;
  if (options.htpasswd) {
    htpasswdPath = join(dir, 'htpasswd');
    await writeHtpasswd(htpasswdPath, options.htpasswd);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const { child, port } = await startOnce(dir, logPath, htpasswdPath);
      const host = `127.0.0.1:${port}`;
      return { host, url: `http://${host}`, logPath, stop: () => stopRegistry(child) };
    } catch (err) {
      // Only a lost race for the port is worth another try.
      const log = await readFile(logPath, 'utf8').catch(() => '');
      if (attempt >= 3 || !/address already in use/.test(log)) throw err;
    }
  }
}
