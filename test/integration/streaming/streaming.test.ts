import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { criClient, grpcCode } from '../../harness/cri-client.js';
import { crictl, crictlPath } from '../../harness/crictl.js';
import { type PodFixture, startPodFixture } from '../../harness/pod-fixture.js';
import { waitFor } from '../../harness/processes.js';
import type { TestStack } from '../../harness/stack.js';

const exec = promisify(execFile);

async function processRunning(pattern: string): Promise<boolean> {
  return exec('pgrep', ['-f', pattern]).then(
    () => true,
    () => false,
  );
}

describe('ExecSync, exec, attach and port-forward through crictl', () => {
  let fixture: PodFixture;
  let stack: TestStack;
  let podId: string;
  const run = async (command: string[], extra: Record<string, unknown> = {}) => (await fixture.run(command, extra)).id;
  const endpointArgs = () => ['--runtime-endpoint', `unix://${stack.criTs.socket}`, '--image-endpoint', `unix://${stack.criTs.socket}`];

  before(async () => {
    fixture = await startPodFixture('stest', { bridge: 'critsst0', subnet: '10.214.0.0/16' });
    stack = fixture.stack;
    podId = fixture.podId;
  });

  after(async () => {
    await fixture?.stop();
  });

  it('ExecSync returns output and exit code, and a timeout kills the process with DeadlineExceeded', async () => {
    const id = await run(['sleep', '3600']);
    const ok = await crictl(stack.criTs.socket, ['exec', '-s', id, 'sh', '-c', 'echo out']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'out');
    // on a non-zero exit crictl shows the code and stderr in its message
    const failed = await crictl(stack.criTs.socket, ['exec', '-s', id, 'sh', '-c', 'echo err >&2; exit 4']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /exited with 4: err/);
    const slow = await crictl(stack.criTs.socket, ['exec', '-s', '--timeout', '1', id, 'sleep', '4321']);
    assert.notEqual(slow.code, 0);
    assert.match(slow.stderr, /DeadlineExceeded|timed out|deadline/i);
    await waitFor('the timed-out process to be gone', async () => !(await processRunning('sleep 4321')), 5000);
    const missing = await crictl(stack.criTs.socket, ['exec', '-s', id, 'no-such-command']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-command/);
  });

  it('answers 100 concurrent ExecSync calls, each with its own output', async () => {
    const id = await run(['sleep', '3600']);
    const cri = criClient(stack.criTs.socket);
    try {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => cri.runtime.ExecSync({ containerId: id, cmd: ['echo', `n${i}`], timeout: 30 })));
      results.forEach((r, i) => {
        assert.equal(r.exitCode, 0);
        assert.equal(r.stdout.toString(), `n${i}\n`);
      });
      await assert.rejects(cri.runtime.ExecSync({ containerId: 'f'.repeat(64), cmd: ['true'] }), (e: unknown) => grpcCode(e) === 'NOT_FOUND');
    } finally {
      cri.close();
    }
  });

  for (const transport of ['spdy', 'websocket']) {
    it(`exec streams stdout, stderr, stdin and the exit code (${transport})`, async () => {
      const id = await run(['sleep', '3600']);
      const plain = await crictl(stack.criTs.socket, ['exec', '--transport', transport, id, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      // crictl reports the exit code in its message and exits 1
      assert.notEqual(plain.code, 0);
      assert.equal(plain.stdout, 'out\n');
      assert.match(plain.stderr, /err[\s\S]*command terminated with exit code 3/);
      const piped = await new Promise<string>((resolve, reject) => {
        const child = spawn(crictlPath(), [...endpointArgs(), 'exec', '--transport', transport, '-i', id, 'tr', 'a-z', 'A-Z']);
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.once('error', reject);
        child.once('close', () => resolve(out));
        child.stdin.end('hello stdin\n');
      });
      assert.equal(piped, 'HELLO STDIN\n');
    });
  }

  it('exec -i -t gives the process a terminal', async () => {
    const id = await run(['sleep', '3600']);
    const command = [crictlPath(), ...endpointArgs(), 'exec', '-i', '-t', id, 'sh', '-c', 'tty; stty size'].join(' ');
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], { timeout: 30_000 });
    assert.match(stdout, /\/dev\/pts\/\d+/);
  });

  it('an exec whose client disconnects leaves no process behind', async () => {
    const id = await run(['sleep', '3600']);
    const child = spawn(crictlPath(), [...endpointArgs(), 'exec', id, 'sleep', '9876']);
    await waitFor('the exec to start', () => processRunning('sleep 9876'), 10_000);
    child.kill('SIGKILL');
    await waitFor('the exec process to be killed', async () => !(await processRunning('sleep 9876')), 10_000);
  });

  it('attach sends stdin to the container and its output back', async () => {
    const id = await run(['sh', '-c', 'read line; echo got:$line; sleep 1'], { stdin: true, stdin_once: true });
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(crictlPath(), [...endpointArgs(), 'attach', '-i', id]);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.once('error', reject);
      child.once('close', () => resolve(out));
      setTimeout(() => child.stdin.end('hello\n'), 500);
    });
    assert.match(output, /got:hello/);
  });

  it('port-forward reaches a server inside the pod, and a closed port is an error', async () => {
    await run(['sh', '-c', 'mkdir -p /www && echo pod-page > /www/index.html && httpd -f -p 8080 -h /www']);
    await new Promise((r) => setTimeout(r, 500));
    const forward = spawn(crictlPath(), [...endpointArgs(), 'port-forward', podId, '18080:8080', '18081:8081']);
    try {
      await waitFor('the forward to listen', async () => exec('curl', ['-s', '-o', '/dev/null', 'http://127.0.0.1:18080/']).then(() => true, () => false), 10_000);
      const { stdout } = await exec('curl', ['-s', 'http://127.0.0.1:18080/index.html']);
      assert.equal(stdout, 'pod-page\n');
      const closed = await exec('curl', ['-s', '-m', '5', 'http://127.0.0.1:18081/']).then(() => 'answered', () => 'failed');
      assert.equal(closed, 'failed');
    } finally {
      forward.kill('SIGINT');
    }
  });

  it('refuses exec in a stopped container, and a bogus streaming token gets 404', async () => {
    const id = await run(['true']);
    await waitFor('exit', async () => (await crictl(stack.criTs.socket, ['inspect', '-o', 'json', id])).stdout.includes('CONTAINER_EXITED'));
    const cri = criClient(stack.criTs.socket);
    try {
      await assert.rejects(cri.runtime.Exec({ containerId: id, cmd: ['true'], stdout: true }), (e: unknown) => grpcCode(e) === 'FAILED_PRECONDITION');
      const running = await run(['sleep', '3600']);
      const { url } = await cri.runtime.Exec({ containerId: running, cmd: ['true'], stdout: true });
      const bogus = url.replace(/\/exec\/[^/]+$/, '/exec/bogus-token');
      const response = await fetch(bogus, { method: 'POST' });
      assert.equal(response.status, 404);
    } finally {
      cri.close();
    }
  });
});
