import { nowEpochNs } from '../clock.js';
import { createAndStartTask } from '../containerd/tasks.js';
import { FailedPreconditionError } from '../errors.js';
import type { Container } from './container.js';
import { type ContainerContext, containerRootDir, openContainerIo } from './container-context.js';
import { mountImageMounts } from './image-mounts.js';
import type { ContainerIo } from './io/container-io.js';
import { CriTsLabel } from '../records/labels.js';
import { resolveRuntimeHandler } from '../records/runtime-handler.js';
import { metrics } from '../metrics/metrics.js';
import { PhaseTimer } from '../metrics/phase-timer.js';

/** What a failed start leaves in the status, as containerd's CRI reports it. */
const START_ERROR_EXIT_CODE = 128;

/** StartContainer on a locked, created container: its FIFOs and log, then the task; each phase timed. */
export async function startContainer(ctx: ContainerContext, container: Container): Promise<void> {
  const phases = new PhaseTimer();
  const { metadata } = container;
  if (metadata.state !== 'created') {
    throw new FailedPreconditionError(`container ${container.id} is ${metadata.state.toUpperCase()}; only a CREATED container can be started`);
  }
  const sandbox = ctx.pods.find(metadata.sandboxId);
  if (!sandbox || sandbox.state !== 'ready') {
    throw new FailedPreconditionError(`pod sandbox ${metadata.sandboxId} of container ${container.id} is not ready; its containers cannot start`);
  }
  const log = ctx.log.child({ containerId: container.id, podId: metadata.sandboxId });
  const { config } = metadata;
  // CreateContainer opened the IO; after a cri-ts restart it is opened here.
  const prepared = container.preparedIo;
  container.preparedIo = undefined;
  let io: ContainerIo | undefined;
  try {
    io = prepared ?? (await phases.time('io', () => openContainerIo(ctx, container.id, config, metadata.logPath, log)));
    const handler = resolveRuntimeHandler(ctx.config.containerd, sandbox.metadata.runtimeHandler);
    container.rootfsMounts ??= await phases.time('rootfs_mounts', async () => {
      return (await ctx.containerd.snapshots.Mounts({ snapshotter: metadata.snapshotter, key: container.id })).mounts;
    });
    // Mounted at creation; made again here after a reboot took the host's mounts away.
    const imageMounts = metadata.imageMounts;
    if (imageMounts?.length) {
      await phases.time('image_mounts', () => mountImageMounts(ctx.containerd, {
        containerId: container.id,
        snapshotter: metadata.snapshotter,
        rootDir: containerRootDir(ctx, container.id),
        mounts: config.mounts,
        imageMounts,
        snapshotLabels: { [CriTsLabel.sandboxId]: metadata.sandboxId },
      }));
    }
    container.taskGone = false;
    const pid = await createAndStartTask(
      ctx.containerd,
      container.id,
      container.rootfsMounts,
      { stdin: io.paths.stdin, stdout: io.paths.stdout, stderr: io.paths.stderr, terminal: config.tty },
      handler.options,
      phases,
      // NRI plugins hear of the start once the task exists, before its process runs; one may refuse it.
      async (createdPid) => {
        container.pid = createdPid;
        await ctx.nri.startContainer(sandbox, container);
      },
    );
    io.taskStarted();
    container.io = io;
    container.pid = pid;
    container.metadata = { ...metadata, state: 'running', startedAtNs: nowEpochNs().toString() };
    container.startPhases = phases.finish();
    metrics.containerStarted(container.startPhases);
    // Recovery reads the task of a record still saying CREATED, so this write need not hold up the reply.
    ctx.store.persistInBackground(container);
    ctx.events.publish('started', container);
    log.info({ pid }, 'container started');
    await ctx.nri.postStartContainer(sandbox, container);
  } catch (err) {
    await io?.close();
    const now = nowEpochNs().toString();
    container.metadata = {
      ...metadata,
      state: 'exited',
      startedAtNs: now,
      finishedAtNs: now,
      exitCode: START_ERROR_EXIT_CODE,
      reason: 'StartError',
      message: err instanceof Error ? err.message : String(err),
    };
    container.pid = 0;
    ctx.store.persistInBackground(container);
    await ctx.nri.stopContainer(sandbox, container);
    throw err;
  }
}
