import { nowEpochNs } from '../clock.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRecordAndSnapshot, remapFor } from '../records/container-records.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import type { ContainerConfig__Output } from '../generated/cri/runtime/v1/ContainerConfig.js';
import { chainIds } from '../image/chain-ids.js';
import { resolveRuntimeHandler } from '../records/runtime-handler.js';
import { CriTsLabel } from '../records/labels.js';
import { UndoStack } from '../undo-stack.js';
import { metrics } from '../metrics/metrics.js';
import { PhaseTimer } from '../metrics/phase-timer.js';
import { Container, type ContainerMetadata, containerNameKey } from './container.js';
import { type ContainerContext, containerIoDir, containerRootDir, openContainerIo, removeContainerRootDir } from './container-context.js';
import { textEnvs } from './container-env.js';
import { buildContainerSpec, userNamespaceOf } from './container-spec.js';
import { CONTAINER_EXTENSION, encodeContainerMetadata } from './container-store.js';
import { resolveUser } from './image-user.js';
import { imageMountGcLabels, imageMountSources, mountImageMounts, planImageMounts, releaseImageMounts } from './image-mounts.js';
import { imageVolumes, populateImageVolumes } from './image-volumes.js';
import { ContainerIo } from './io/container-io.js';

/**
 * CreateContainer: the user resolved against the image's /etc/passwd, the
 * OCI spec, the containerd record carrying cri-ts's metadata, a writable
 * snapshot on the image, a read-only view of each image mount's image
 * mounted on the host, and the FIFOs of its stdio. Nothing runs yet. Each
 * phase is timed for the container's verbose status and /metrics.
 */
export async function createContainer(ctx: ContainerContext, podSandboxId: string, config: ContainerConfig__Output): Promise<string> {
  const phases = new PhaseTimer();
  if (!config.metadata?.name) throw new InvalidArgumentError('config.metadata.name is empty; every container needs a name');
  const imageText = config.image?.image ?? '';
  if (imageText === '') throw new InvalidArgumentError('config.image.image is empty; name the image to run');
  const envs = textEnvs(config.envs);
  const requestedSecurity = config.linux?.securityContext;
  if (requestedSecurity?.runAsGroup && !requestedSecurity.runAsUser && !requestedSecurity.runAsUsername) {
    throw new InvalidArgumentError('linux.security_context.run_as_group needs run_as_user or run_as_username as well');
  }
  const sandbox = ctx.pods.get(podSandboxId);
  if (sandbox.state !== 'ready') {
    throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready, so no container can be created in it; run a new pod sandbox`);
  }
  const { image, imageMounts } = await phases.time('image_lookup', async () => {
    const found = await ctx.images.find(imageText);
    if (!found) throw new NotFoundError(`image "${imageText}" not found; pull it first`);
    return { image: found, imageMounts: await planImageMounts(ctx.images, config.mounts) };
  });
  const userns = userNamespaceOf(config, sandbox.metadata);
  const handler = resolveRuntimeHandler(ctx.config.containerd, sandbox.metadata.runtimeHandler);
  const { snapshotter } = handler;

  const id = randomBytes(32).toString('hex');
  const log = ctx.log.child({ containerId: id, podId: sandbox.id });
  const nameKey = containerNameKey(sandbox.id, config);
  ctx.store.reserveName(nameKey, id);
  const undo = new UndoStack();
  undo.push('release the container name', async () => ctx.store.releaseName(nameKey, id));
  // A plugin that connects meanwhile synchronizes once the container is listed (or never was).
  const releaseSync = await ctx.nri.blockSync();
  try {
    const ioDir = containerIoDir(ctx, id);
    const logPath = config.logPath ? join(sandbox.metadata.config.logDirectory, config.logPath) : '';
    // The FIFOs and the log are opened while containerd works, so StartContainer finds them ready.
    const preparedIo = phases.time('io', () => openContainerIo(ctx, id, config, logPath, log));
    preparedIo.catch(() => undefined); // awaited below; a failure before that is undone
    undo.push('close the IO and remove the FIFO directory', async () => {
      await (await preparedIo.catch(() => undefined))?.close();
      await ContainerIo.remove(ioDir);
    });
    const rootDir = containerRootDir(ctx, id);
    const volumes = ctx.config.ignoreImageDefinedVolumes ? [] : imageVolumes(image.config.volumes, config.mounts, join(rootDir, 'volumes'));
    if (volumes.length > 0 || imageMounts.length > 0) {
      undo.push('remove the container directory', () => removeContainerRootDir(rootDir, imageMounts.length > 0));
    }
    const imageMountSet = { containerId: id, snapshotter, rootDir, mounts: config.mounts, imageMounts, snapshotLabels: { [CriTsLabel.sandboxId]: sandbox.id } };
    const parent = chainIds(image.config.diffIds).at(-1) ?? '';
    const accounts = await phases.time('image_user', () => ctx.imageAccounts.get(snapshotter, parent));
    const security = config.linux?.securityContext ?? null;
    const user = resolveUser(
      {
        ...(security?.runAsUser ? { runAsUser: Number(security.runAsUser.value) } : {}),
        ...(security?.runAsUsername ? { runAsUsername: security.runAsUsername } : {}),
        ...(security?.runAsGroup ? { runAsGroup: Number(security.runAsGroup.value) } : {}),
        imageUser: image.config.user,
        supplementalGroups: (security?.supplementalGroups ?? []).map(Number),
        strictGroups: security?.supplementalGroupsPolicy === 'Strict',
      },
      accounts.passwd,
      accounts.group,
    );
    const targetId = security?.namespaceOptions?.targetId ?? '';
    const target = targetId ? ctx.store.find(targetId) : undefined;
    const spec = await phases.time('spec', () => buildContainerSpec({
      id,
      config,
      sandbox: sandbox.metadata,
      sandboxPid: sandbox.pid,
      sandboxFiles: sandbox.paths,
      image: image.config,
      imageName: imageText,
      user,
      ...(target?.pid ? { targetPid: target.pid } : {}),
      cgroupDriver: ctx.config.cgroupDriver,
      containerdNamespace: ctx.config.containerd.namespace,
      restrictOomScoreAdj: ctx.restrictOomScoreAdj,
      imageVolumes: volumes,
      imageMountSources: imageMountSources(imageMountSet),
    }));
    const metadata: ContainerMetadata = {
      version: 1,
      id,
      sandboxId: sandbox.id,
      config: { ...config, envs },
      imageId: image.id,
      imageName: image.repoTags[0] ?? imageText,
      imageRef: image.repoDigests[0] ?? image.id,
      logPath,
      snapshotter,
      cgroupsPath: spec.linux?.cgroupsPath ?? '',
      user,
      stopSignal: image.config.stopSignal,
      ...(imageMounts.length > 0 ? { imageMounts } : {}),
      state: 'created',
      createdAtNs: nowEpochNs().toString(),
      startedAtNs: '0',
      finishedAtNs: '0',
      exitCode: 0,
      reason: '',
      message: '',
    };
    // NRI plugins adjust the spec before the record is made; the cgroup may have moved.
    await ctx.nri.createContainer(sandbox, { id, pid: 0, metadata }, spec);
    undo.push('tell NRI plugins the container is gone', async () => {
      await ctx.nri.stopContainer(sandbox, { id, pid: 0, metadata, spec });
      await ctx.nri.removeContainer(sandbox, { id, pid: 0, metadata, spec });
    });
    metadata.cgroupsPath = spec.linux?.cgroupsPath ?? '';
    const mounts = await createRecordAndSnapshot(
      ctx.containerd,
      {
        id,
        labels: { [CriTsLabel.kind]: CriTsLabel.containerKind, [CriTsLabel.sandboxId]: sandbox.id, ...config.labels, ...imageMountGcLabels(snapshotter, id, imageMounts) },
        image: image.repoTags[0] ?? image.id,
        runtime: { name: handler.runtimeType, ...(handler.options ? { options: handler.options } : {}) },
        spec,
        snapshotter,
        parent,
        snapshotLabels: { [CriTsLabel.sandboxId]: sandbox.id },
        extensions: { [CONTAINER_EXTENSION]: encodeContainerMetadata(metadata) },
        ...remapFor(userns, join(ctx.config.state, 'scratch'), log),
      },
      undo,
      phases,
    );
    if (imageMounts.length > 0) {
      undo.push('unmount the image mounts and remove their views', () => releaseImageMounts(ctx.containerd, imageMountSet));
      await phases.time('image_mounts', () => mountImageMounts(ctx.containerd, imageMountSet));
    }
    const root = userns.mode === 'pod' ? { uid: userns.uidMapping.hostID, gid: userns.gidMapping.hostID } : undefined;
    if (volumes.length > 0) await phases.time('image_volumes', () => populateImageVolumes(volumes, mounts, join(ctx.config.state, 'scratch'), root));
    const io = await preparedIo;
    const container = new Container(metadata);
    container.preparedIo = io;
    container.spec = spec;
    container.rootfsMounts = mounts;
    container.taskGone = true;
    container.createPhases = phases.finish();
    ctx.store.add(container);
    metrics.containerCreated(container.createPhases);
    ctx.events.publish('created', container);
    log.info({ image: imageText, name: config.metadata.name }, 'container created');
    await ctx.nri.postCreateContainer(sandbox, container);
    return id;
  } catch (err) {
    await undo.unwind(log);
    throw err;
  } finally {
    releaseSync();
  }
}
