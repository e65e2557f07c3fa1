import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeStatusJson, encodeStatusText, statusFor } from '../../../src/streaming/status.js';

const exec = { kind: 'exec' as const, cmd: ['sh', '-c', 'exit 3'] };

describe('remotecommand Status', () => {
  it('success is a bare Success status, as kubelet marshals it', () => {
    const status = statusFor({ exitCode: 0 }, exec);
    assert.equal(encodeStatusJson(status).toString(), '{"metadata":{},"status":"Success"}');
    assert.equal(encodeStatusText(status), undefined);
  });

  it('a non-zero exit code is NonZeroExitCode with an ExitCode cause', () => {
    const status = statusFor({ exitCode: 3 }, exec);
    assert.equal(
      encodeStatusJson(status).toString(),
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command \'sh -c exit 3\' exited with 3",' +
        '"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
    );
    assert.equal(encodeStatusText(status)?.toString(), "command terminated with non-zero exit code: command 'sh -c exit 3' exited with 3");
  });

  it('a runtime error is an InternalError (code 500) worded like kubelet', () => {
    const status = statusFor({ error: 'container not running' }, exec);
    assert.deepEqual(JSON.parse(encodeStatusJson(status).toString()), {
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: error executing command in container: container not running',
      reason: 'InternalError',
      details: { causes: [{ message: 'error executing command in container: container not running' }] },
      code: 500,
    });
    const attach = statusFor({ error: 'gone' }, { kind: 'attach' });
    assert.equal(attach.message, 'Internal error occurred: error attaching to container: gone');
  });
});
