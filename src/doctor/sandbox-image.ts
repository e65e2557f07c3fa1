import type { CriTsConfig } from '../config/config.js';
import { errorMessage, isCriError } from '../errors.js';
import { resolveSource } from '../image/pull/registry-source.js';
import { formatImageReference, parseImageReference, type ImageReference } from '../image/reference.js';
import { NO_CREDENTIALS } from '../image/registry/registry-client.js';
import { type CheckResult, fail, ok } from './check.js';
import type { ContainerdProbe } from './containerd-probe.js';

const NAME = 'sandbox image';

/** Whether the image record is in containerd; undefined when no containerd answers to ask. */
async function presentInContainerd(probe: ContainerdProbe, name: string, timeoutMs: number): Promise<boolean | undefined> {
  const { answering } = await probe.find();
  if (!answering) return undefined;
  try {
    await answering.client.images.Get({ name }, { timeoutMs });
    return true;
  } catch (err) {
    if (isCriError(err, 'NotFound')) return false;
    return undefined;
  }
}

/** The first registry endpoint (mirrors first) that resolves the reference, asked as a pull would ask. */
async function resolvableAt(config: CriTsConfig, ref: ImageReference, timeoutMs: number): Promise<{ host: string; digest: string } | { error: string }> {
  try {
    const source = await resolveSource(config.registry, ref, NO_CREDENTIALS, timeoutMs, AbortSignal.timeout(timeoutMs));
    return { host: source.client.host, digest: source.root.digest };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

/** Every pod starts from sandbox_image: it is in containerd already, or a pull through the configured mirrors would find it. */
export async function checkSandboxImage(config: CriTsConfig, probe: ContainerdProbe, timeoutMs = 2500): Promise<CheckResult> {
  let ref: ImageReference;
  try {
    ref = parseImageReference(config.sandboxImage);
  } catch (err) {
    return fail(NAME, errorMessage(err), 'set sandbox_image to a reference such as "registry.k8s.io/pause:3.10"');
  }
  const name = formatImageReference(ref);
  const present = await presentInContainerd(probe, name, timeoutMs);
  if (present) return ok(NAME, `${name} is in containerd (namespace ${config.containerd.namespace})`);
  const where = present === false ? `not in containerd (namespace ${config.containerd.namespace})` : 'containerd not asked (it does not answer)';
  const resolved = await resolvableAt(config, ref, timeoutMs);
  if ('host' in resolved) return ok(NAME, `${name}: ${where}; pullable from ${resolved.host} (${resolved.digest})`);
  return fail(
    NAME,
    `${name}: ${where}, and no registry endpoint resolves it: ${resolved.error}`,
    `give ${ref.domain} a reachable mirror ([registry.mirrors."${ref.domain}"] endpoint or a hosts.toml under registry.config_path), ` +
      `or import the image: ctr -n ${config.containerd.namespace} images import pause.tar`,
  );
}
