import { nowEpochNs } from '../clock.js';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRecordAndSnapshot } from '../containerd/container-records.js';
import { runtimeOptionsAny } from './runtime-options.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import type { ContainerConfig__Output } from '../generated/cri/runtime/v1/ContainerConfig.js';
import { chainIds } from '../image/pull/gc-labels.js';
import { resolveRuntimeHandler } from '../sandbox/run-sandbox.js';
import { sandboxPaths } from '../sandbox/sandbox-files.js';
import { CriTsLabel } from '../sandbox/sandbox-store.js';
import { UndoStack } from '../undo-stack.js';
import { Container, type ContainerMetadata, containerNameKey } from './container.js';
import { type ContainerRuntime, containerIoDir, containerRootDir, openContainerIo } from './container-runtime.js';
import { textEnvs } from './container-env.js';
import { buildContainerSpec } from './container-spec.js';
import { CONTAINER_EXTENSION, encodeContainerMetadata } from './container-store.js';
import { resolveUser } from './image-user.js';
import { imageVolumes, populateImageVolumes } from './image-volumes.js';
import { ContainerIo } from './io/container-io.js';

/**
 * CreateContainer: the user resolved against the image's /etc/passwd, the
 * OCI spec, the containerd record carrying cri-ts's metadata, a writable
 * snapshot on the image and the FIFOs of its stdio. Nothing runs yet.
 */
export async function createContainer(runtime: ContainerRuntime, podSandboxId: string, config: ContainerConfig__Output): Promise<string> {
  const { pods } = runtime;
  if (!config.metadata?.name) throw new InvalidArgumentError('config.metadata.name is empty; every container needs a name');
  const imageText = config.image?.image ?? '';
  if (imageText === '') throw new InvalidArgumentError('config.image.image is empty; name the image to run');
  const envs = textEnvs(config.envs);
  const requestedSecurity = config.linux?.securityContext;
  if (requestedSecurity?.runAsGroup && !requestedSecurity.runAsUser && !requestedSecurity.runAsUsername) {
    throw new InvalidArgumentError('linux.security_context.run_as_group needs run_as_user or run_as_username as well');
  }
  const sandbox = pods.store.get(podSandboxId);
  if (sandbox.state !== 'ready') {
    throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready, so no container can be created in it; run a new pod sandbox`);
  }
  const image = await pods.images.find(imageText);
  if (!image) throw new NotFoundError(`image "${imageText}" not found; pull it first`);
  const { name: handlerName, handler } = resolveRuntimeHandler(pods, sandbox.metadata.runtimeHandler);
  const snapshotter = handler.snapshotter || pods.config.containerd.snapshotter;

  const id = randomBytes(32).toString('hex');
  const log = runtime.log.child({ containerId: id, podId: sandbox.id });
  const nameKey = containerNameKey(sandbox.id, config);
  runtime.store.reserveName(nameKey, id);
  const undo = new UndoStack();
  undo.push('release the container name', async () => runtime.store.releaseName(nameKey, id));
  try {
    const ioDir = containerIoDir(runtime, id);
    const logPath = config.logPath ? join(sandbox.metadata.config.logDirectory, config.logPath) : '';
    // The FIFOs and the log are opened while containerd works, so StartContainer finds them ready.
    const preparedIo = openContainerIo(runtime, id, config, logPath, log);
    preparedIo.catch(() => undefined); // awaited below; a failure before that is undone
    undo.push('close the IO and remove the FIFO directory', async () => {
      await (await preparedIo.catch(() => undefined))?.close();
      await ContainerIo.remove(ioDir);
    });
    const rootDir = containerRootDir(runtime, id);
    const volumes = pods.config.ignoreImageDefinedVolumes ? [] : imageVolumes(image.config.volumes, config.mounts, join(rootDir, 'volumes'));
    if (volumes.length > 0) undo.push('remove the image volumes', () => rm(rootDir, { recursive: true, force: true }));
    const parent = chainIds(image.config.diffIds).at(-1) ?? '';
    const accounts = await runtime.imageAccounts.get(snapshotter, parent);
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
    const target = targetId ? runtime.store.find(targetId) : undefined;
    const spec = await buildContainerSpec({
      id,
      config,
      sandbox: sandbox.metadata,
      sandboxPid: sandbox.pid,
      sandboxFiles: sandboxPaths(pods.config.root, pods.config.state, sandbox.id),
      image: image.config,
      imageName: imageText,
      user,
      ...(target?.pid ? { targetPid: target.pid } : {}),
      cgroupDriver: pods.config.cgroupDriver,
      containerdNamespace: pods.config.containerd.namespace,
      restrictOomScoreAdj: pods.restrictOomScoreAdj,
      imageVolumes: volumes,
    });
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
      state: 'created',
      createdAtNs: nowEpochNs().toString(),
      startedAtNs: '0',
      finishedAtNs: '0',
      exitCode: 0,
      reason: '',
      message: '',
    };
    const runtimeOptions = runtimeOptionsAny(handlerName, handler);
    const mounts = await createRecordAndSnapshot(
      pods.containerd,
      {
        id,
        labels: { [CriTsLabel.kind]: CriTsLabel.containerKind, [CriTsLabel.sandboxId]: sandbox.id, ...config.labels },
        image: image.repoTags[0] ?? image.id,
        runtime: { name: handler.runtimeType, ...(runtimeOptions ? { options: runtimeOptions } : {}) },
        spec,
        snapshotter,
        parent,
        snapshotLabels: { [CriTsLabel.sandboxId]: sandbox.id },
        extensions: { [CONTAINER_EXTENSION]: encodeContainerMetadata(metadata) },
      },
      undo,
    );
    await populateImageVolumes(volumes, mounts, join(pods.config.state, 'scratch'));
    const io = await preparedIo;
    const container = new Container(metadata);
    container.preparedIo = io;
    container.spec = spec;
    container.rootfsMounts = mounts;
    container.taskGone = true;
    runtime.store.add(container);
    runtime.events.publish('created', container);
    log.info({ image: imageText, name: config.metadata.name }, 'container created');
    return id;
  } catch (err) {
    await undo.unwind(log);
    throw err;
  }
}
