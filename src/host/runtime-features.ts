import { runCommandOrThrow } from './command-runner.js';

const cache = new Map<string, Promise<boolean>>();

/**
 * Whether the OCI runtime binary supports recursive read-only mounts ("rro"),
 * from its `features` output (runc 1.1+); asked once per binary.
 */
export function supportsRecursiveReadOnly(binary: string): Promise<boolean> {
  let answer = cache.get(binary);
  if (!answer) {
    answer = runCommandOrThrow(binary, ['features'], { timeoutMs: 5000 })
      .then((stdout) => {
        const features = JSON.parse(stdout) as { mountOptions?: string[] };
        return features.mountOptions?.includes('rro') ?? false;
      })
      .catch(() => false);
    cache.set(binary, answer);
  }
  return answer;
}
