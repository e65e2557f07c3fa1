import type { RemoteCommandResult } from './types.js';

// How kubelet reports the end of an exec/attach on the error stream: a
// metav1.Status (JSON, for remotecommand v4 and v5) or, for older protocols,
// just the status message and nothing at all on success.

export interface StatusCause {
  reason?: string;
  message?: string;
}

/** metav1.Status, fields in Go's json.Marshal order so bytes match kubelet's. */
export interface MetaStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: StatusCause[] };
  code?: number;
}

export function statusFor(
  result: RemoteCommandResult,
  request: { kind: 'exec'; cmd: string[] } | { kind: 'attach' },
): MetaStatus {
  if ('error' in result) {
    // apierrors.NewInternalError around kubelet's wrapping.
    const what = request.kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
    const err = `${what}: ${result.error}`;
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${err}`,
      reason: 'InternalError',
      details: { causes: [{ message: err }] },
      code: 500,
    };
  }
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  const exited =
    request.kind === 'exec'
      ? `command '${request.cmd.join(' ')}' exited with ${result.exitCode}`
      : `process exited with ${result.exitCode}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${exited}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/** v4/v5: the Status as JSON. */
export function encodeStatusJson(status: MetaStatus): Buffer {
  return Buffer.from(JSON.stringify(status), 'utf8');
}

/** v1-v3 and the pre-v4 WebSocket protocols: the message on failure, nothing on success. */
export function encodeStatusText(status: MetaStatus): Buffer | undefined {
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? 'unknown error', 'utf8');
}
