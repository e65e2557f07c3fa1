// The command helper: a small child process of cri-ts that starts host
// programs for it. Starting a process blocks the starting thread until the
// child has exec'd, which on a loaded node took ~6 ms per command and stalled
// every RPC in flight; here it stalls only this process. It exits with its
// parent (the IPC channel closes).

import { runCommandHere } from './command.js';
import type { HelperRequest, HelperResponse } from './command-runner.js';

function reply(response: HelperResponse): void {
  process.send?.(response);
}

process.on('message', (message: HelperRequest) => {
  runCommandHere(message.request).then(
    (result) => reply({ id: message.id, result }),
    (err: unknown) => reply({ id: message.id, result: { timedOut: false, stdout: '', stderr: '', startError: String(err) } }),
  );
});
process.on('disconnect', () => process.exit(0));
