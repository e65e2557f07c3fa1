import { once } from 'node:events';
import { WebSocket } from 'ws';
import { openRawWebSocket } from '../streaming-protocol/raw-websocket.js';
import { TestSpdyClient } from '../streaming-protocol/spdy-client.js';

/**
 * Clients for kubelet's streaming endpoints, speaking what kubectl and the API
 * server send to a kubelet: kubelet answers /exec and /portForward itself and
 * proxies (or, for WebSocket v5 and the SPDY tunnel, translates) the stream to
 * the streaming server URL the runtime's Exec/PortForward returned.
 */

export interface ContainerRef {
  namespace: string;
  pod: string;
  container: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The metav1.Status kubelet sends on the error channel at the end. */
  status: { status?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } };
}

function execQuery(command: string[], stdin: boolean): string {
  // Go's query parser drops pairs holding ';', so every argument is form-encoded
  const query = new URLSearchParams();
  for (const arg of command) query.append('command', arg);
  if (stdin) query.set('input', '1');
  query.set('output', '1');
  query.set('error', '1');
  return query.toString();
}

function execPath(ref: ContainerRef, command: string[], stdin: boolean): string {
  return `/exec/${ref.namespace}/${ref.pod}/${ref.container}?${execQuery(command, stdin)}`;
}

const withTimeout = <T>(what: string, promise: Promise<T>, ms = 30_000): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms).unref())]);

/** Channel bytes of remotecommand over WebSocket: 0 stdin, 1 stdout, 2 stderr, 3 error; [255, n] closes channel n (v5). */
export async function execOverWebSocket(kubeletUrl: string, ref: ContainerRef, command: string[], stdin?: string): Promise<ExecResult> {
  const ws = new WebSocket(`${kubeletUrl.replace(/^https/, 'wss')}${execPath(ref, command, stdin !== undefined)}`, ['v5.channel.k8s.io'], { rejectUnauthorized: false });
  const channels: Buffer[][] = [[], [], [], []];
  ws.on('message', (data: Buffer) => channels[data[0] ?? 0]?.push(data.subarray(1)));
  const closed = once(ws, 'close');
  await once(ws, 'open');
  if (ws.protocol !== 'v5.channel.k8s.io') throw new Error(`kubelet chose subprotocol ${JSON.stringify(ws.protocol)}`);
  if (stdin !== undefined) {
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
    ws.send(Buffer.from([255, 0]));
  }
  await withTimeout('exec over WebSocket', closed);
  const text = (n: number): string => Buffer.concat(channels[n] ?? []).toString('utf8');
  return { stdout: text(1), stderr: text(2), status: JSON.parse(text(3) || '{}') };
}

/** remotecommand over SPDY as client-go's SPDY executor does it: one stream per channel, opened error first. */
export async function execOverSpdy(kubeletUrl: string, ref: ContainerRef, command: string[], stdin?: string): Promise<ExecResult & { protocol: string | undefined }> {
  const { status, headers, body, client } = await TestSpdyClient.upgrade(`${kubeletUrl}${execPath(ref, command, stdin !== undefined)}`, ['v4.channel.k8s.io']);
  if (status !== 101 || !client) throw new Error(`exec upgrade answered ${status}: ${body}`);
  const error = await client.openStream({ streamType: 'error' });
  const input = stdin !== undefined ? await client.openStream({ streamType: 'stdin' }) : undefined;
  const stdout = await client.openStream({ streamType: 'stdout' });
  const stderr = await client.openStream({ streamType: 'stderr' });
  if (input) {
    await input.write(stdin ?? '');
    await input.end();
  }
  await withTimeout('exec over SPDY', error.ended);
  await client.close();
  return { stdout: stdout.text, stderr: stderr.text, status: JSON.parse(error.text || '{}'), protocol: headers.get('x-stream-protocol-version')?.[0] };
}

/**
 * port-forward over WebSocket channels: port i has data channel 2i and error
 * channel 2i+1, each opened by the server with the port as 2 bytes little-endian.
 * Sends `request` and returns what came back until the pod side closed.
 */
export async function portForwardOverWebSocket(kubeletUrl: string, namespace: string, pod: string, port: number, request: string): Promise<string> {
  const url = `${kubeletUrl.replace(/^https/, 'wss')}/portForward/${namespace}/${pod}?port=${port}`;
  const ws = new WebSocket(url, ['portforward.k8s.io'], { rejectUnauthorized: false });
  const data: Buffer[] = [];
  const errors: Buffer[] = [];
  let dataSeen = 0;
  ws.on('message', (message: Buffer) => {
    const channel = message[0];
    const payload = message.subarray(1);
    if (channel === 0 && dataSeen++ > 0) data.push(payload);
    else if (channel === 1) errors.push(payload);
  });
  const closed = once(ws, 'close');
  await once(ws, 'open');
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(request)]));
  await withTimeout('port-forward over WebSocket', closed);
  const error = Buffer.concat(errors).subarray(2).toString('utf8');
  if (error) throw new Error(`port-forward error channel: ${error}`);
  return Buffer.concat(data).toString('utf8');
}

/**
 * port-forward as kubectl 1.31+ sends it: SPDY carried in WebSocket binary
 * messages (SPDY/3.1+portforward.k8s.io), which kubelet unwraps and proxies as
 * SPDY to the runtime. One error and one data stream per request.
 */
export async function portForwardOverSpdyTunnel(kubeletUrl: string, namespace: string, pod: string, port: number, request: string): Promise<string> {
  const { stream, protocol } = await openRawWebSocket(`${kubeletUrl.replace(/^https/, 'wss')}/portForward/${namespace}/${pod}`, 'SPDY/3.1+portforward.k8s.io');
  if (protocol !== 'SPDY/3.1+portforward.k8s.io') throw new Error(`kubelet chose subprotocol ${JSON.stringify(protocol)}`);
  const client = new TestSpdyClient(stream);
  const headers = { port: String(port), requestID: '0' };
  const error = await client.openStream({ ...headers, streamType: 'error' });
  await error.end();
  const data = await client.openStream({ ...headers, streamType: 'data' });
  await data.write(request);
  await withTimeout('port-forward over the SPDY tunnel', data.ended);
  await client.close();
  if (error.text) throw new Error(`port-forward error stream: ${error.text}`);
  return data.text;
}
