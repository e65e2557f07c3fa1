import type { PodContainerHooks } from '../sandbox/pod-runtime.js';
import type { ContainerRuntime } from './container-runtime.js';
import { removeContainer } from './remove-container.js';
import { stopContainer } from './stop-container.js';

/** What stopping or removing a pod does to its containers: killed (no grace: kubelet stops them first), then removed. */
export function podContainerHooks(runtime: ContainerRuntime): PodContainerHooks {
  return {
    async stopContainersOf(podId) {
      await Promise.all(runtime.store.ofSandbox(podId).map((c) => runtime.store.lock.run(c.id, () => stopContainer(runtime, c, 0))));
    },
    async removeContainersOf(podId) {
      await Promise.all(
        runtime.store.ofSandbox(podId).map((c) =>
          runtime.store.lock.run(c.id, async () => {
            if (runtime.store.find(c.id)) await removeContainer(runtime, c);
          }),
        ),
      );
    },
  };
}
