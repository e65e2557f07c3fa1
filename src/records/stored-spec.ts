import { OCI_SPEC_TYPE_URL, packJson } from '../containerd/any.js';
import type { ContainerdClient } from '../containerd/client.js';
import { CriError } from '../errors.js';
import type { OciSpec } from '../oci/oci-types.js';

/**
 * The OCI spec a pod's or container's containerd record holds. Lifecycles
 * keep the spec they built in memory; this reads it back after a restart.
 */
export async function readStoredSpec(containerd: ContainerdClient, id: string): Promise<OciSpec> {
  const { container: record } = await containerd.containers.Get({ id });
  if (!record?.spec) throw new CriError('Internal', `${id} has no OCI spec in its containerd record`);
  return JSON.parse(record.spec.value.toString('utf8')) as OciSpec;
}

/** Replaces the OCI spec in a record (the task, if any, keeps running on the spec it started with). */
export async function writeStoredSpec(containerd: ContainerdClient, id: string, spec: OciSpec): Promise<void> {
  await containerd.containers.Update({ container: { id, spec: packJson(OCI_SPEC_TYPE_URL, spec) }, updateMask: { paths: ['spec'] } });
}
