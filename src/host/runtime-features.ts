import { runCommandOrThrow } from './command-runner.js';

/** What cri-ts needs to know of an OCI runtime, read from its `features` output. */
export interface OciRuntimeFeatures {
  /** Recursive read-only mounts ("rro"). */
  recursiveReadOnlyMounts: boolean;
  /**
   * Pods in their own user namespace: the runtime creates user namespaces and
   * makes idmapped mounts (runc 1.2 and later), as containerd's CRI requires.
   */
  userNamespaces: boolean;
}

const NONE: OciRuntimeFeatures = { recursiveReadOnlyMounts: false, userNamespaces: false };

interface FeaturesJson {
  mountOptions?: string[];
  linux?: { namespaces?: string[]; mountExtensions?: { idmap?: { enabled?: boolean } } };
}

/** The features a runtime's `features` JSON (the OCI runtime-spec features document) declares. */
export function parseRuntimeFeatures(text: string): OciRuntimeFeatures {
  const features = JSON.parse(text) as FeaturesJson;
  return {
    recursiveReadOnlyMounts: features.mountOptions?.includes('rro') ?? false,
    userNamespaces: (features.linux?.namespaces?.includes('user') ?? false) && features.linux?.mountExtensions?.idmap?.enabled === true,
  };
}

const cache = new Map<string, Promise<OciRuntimeFeatures>>();

/**
 * The features of an OCI runtime binary, asked once per binary. A runtime
 * without a `features` command (runc before 1.1) or one that does not run
 * has none of them.
 */
export function ociRuntimeFeatures(binary: string): Promise<OciRuntimeFeatures> {
  let answer = cache.get(binary);
  if (!answer) {
    answer = runCommandOrThrow(binary, ['features'], { timeoutMs: 5000 })
      .then(parseRuntimeFeatures)
      .catch(() => NONE);
    cache.set(binary, answer);
  }
  return answer;
}
