import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Two connected ends of a real unix socket. */
export async function socketPair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), 'nri-unit-'));
  const path = join(dir, 's');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(path);
  const theirs = await accepted;
  await new Promise<void>((resolve) => (client.connecting ? client.once('connect', () => resolve()) : resolve()));
  server.close();
  rmSync(dir, { recursive: true, force: true });
  for (const s of [client, theirs]) s.on('error', () => undefined);
  return [client, theirs];
}
