import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';

/**
 * cri-ts's heap after a full GC, asked through its inspector (the soak starts
 * it with NODE_OPTIONS=--inspect=127.0.0.1:0 and finds the port in its log).
 * Used heap sampled without a GC mostly measures garbage not yet collected.
 */
export async function inspectorUrlFromLog(logPath: string): Promise<string | undefined> {
  const log = await readFile(logPath, 'utf8').catch(() => '');
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/.exec(log)?.[1];
}

export async function heapAfterGc(url: string): Promise<{ heapUsedMb: number; rssMb: number }> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const answer = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())' })) as { result?: { value?: string } };
    const usage = JSON.parse(answer.result?.value ?? '{}') as { heapUsed: number; rss: number };
    return { heapUsedMb: Math.round(usage.heapUsed / 104857.6) / 10, rssMb: Math.round(usage.rss / 104857.6) / 10 };
  } finally {
    ws.close();
  }
}
