import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { startStack, type TestStack } from '../../harness/stack.js';

/** The call's outcome within `ms`, or "no answer": a call that hangs must fail the test, not stall it. */
async function answerWithin(ms: number, call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const timeout = new Promise<{ code: string; message: string }>((resolve) => setTimeout(() => resolve({ code: 'no answer', message: '' }), ms));
  const outcome = call.then(
    () => ({ code: 'OK', message: '' }),
    (err: unknown) => ({ code: grpcCode(err), message: String((err as { details?: string }).details ?? err) }),
  );
  return Promise.race([outcome, timeout]);
}

describe('oversized client input on one connection', () => {
  let stack: TestStack;
  let cri: ReturnType<typeof criClient>;

  before(async () => {
    stack = await startStack('oversized');
    cri = criClient(stack.criTs.socket);
  });

  after(async () => {
    cri?.close();
    await stack?.stop();
  });

  it('answers a 1 MiB pod ID with NotFound at once, quoting only the start of it, and the next call on the connection still answers', async () => {
    const huge = await answerWithin(5000, cri.runtime.PodSandboxStatus({ podSandboxId: 'a'.repeat(1 << 20), verbose: false }));
    assert.equal(huge.code, 'NOT_FOUND');
    assert.ok(huge.message.length < 300, `the message quotes a bounded part of the ID (${huge.message.length} characters)`);
    assert.match(huge.message, /\(1048576 characters\)/);
    const next = await answerWithin(5000, cri.runtime.PodSandboxStatus({ podSandboxId: 'abcdefghij', verbose: false }));
    assert.deepEqual(next, { code: 'NOT_FOUND', message: 'pod sandbox "abcdefghij" not found' });
  });
});
