import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Container, type ContainerMetadata } from '../../../src/container/container.js';
import type { RuntimeServiceDefinition } from '../../../src/generated/cri/runtime/v1/RuntimeService.js';
import { grpcService } from '../../../src/proto/grpc-service.js';
import { statusMounts, toContainerStatus } from '../../../src/server/runtime/container-view.js';

const { ContainerStatus } = grpcService<RuntimeServiceDefinition>('cri', 'runtime.v1.RuntimeService');

function containerWithStopSignal(stopSignal: string): Container {
  return new Container({
    id: 'c1',
    sandboxId: 'pod',
    config: { metadata: { name: 'app', attempt: 0 }, envs: [], labels: {}, annotations: {}, mounts: [], linux: null, stopSignal },
    user: { uid: 0, gid: 0, additionalGids: [] },
    state: 'running',
    createdAtNs: '1',
    startedAtNs: '2',
    finishedAtNs: '0',
  } as unknown as ContainerMetadata);
}

/** The stop signal as kubelet reads the reply off the wire. */
function sentStopSignal(container: Container): unknown {
  const bytes = ContainerStatus.responseSerialize({ status: toContainerStatus(container), info: {} });
  return ContainerStatus.responseDeserialize(bytes).status?.stopSignal;
}

describe('ContainerStatus stop_signal', () => {
  it('is sent as the schema names it, from a record written with the SIGNAL_ prefix', () => {
    assert.equal(sentStopSignal(containerWithStopSignal('SIGNAL_SIGUSR1')), 'SIGNAL_SIGUSR1');
  });

  it('is sent as the schema names it now, from a record written before cri-api v0.37', () => {
    assert.equal(sentStopSignal(containerWithStopSignal('SIGUSR1')), 'SIGNAL_SIGUSR1');
    assert.equal(sentStopSignal(containerWithStopSignal('RUNTIME_DEFAULT')), 'SIGNAL_RUNTIME_DEFAULT');
  });
});

describe('ContainerStatus mounts', () => {
  it("report an image mount with the ID of the image it mounted as image_ref, and other mounts as given", () => {
    const imageId = 'sha256:' + 'a'.repeat(64);
    const hostMount = { containerPath: '/data', hostPath: '/srv', image: null };
    const imageMount = { containerPath: '/mnt/image-volume', hostPath: '', readonly: true, image: { image: 'example.com/data:1', imageRef: '' } };
    const metadata = { config: { mounts: [hostMount, imageMount] }, imageMounts: [{ index: 1, imageId, parent: 'p' }] } as unknown as ContainerMetadata;
    const mounts = statusMounts(metadata);
    assert.deepEqual(mounts[0], hostMount);
    assert.equal(mounts[1]?.image?.imageRef, imageId);
    assert.equal(mounts[1]?.image?.image, 'example.com/data:1');
    // a record from before image volumes has no imageMounts
    assert.deepEqual(statusMounts({ config: metadata.config } as ContainerMetadata), [hostMount, imageMount]);
  });
});
