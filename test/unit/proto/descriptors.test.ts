import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import protobuf from 'protobufjs';
import { packageRoot } from '../../../src/package-paths.js';
import { grpcService } from '../../../src/proto/grpc-service.js';

const exec = promisify(execFile);

describe('precompiled proto descriptors', () => {
  it('api/descriptors matches the .proto files in api/ (npm run gen:types makes them)', async () => {
    await exec(process.execPath, [join(packageRoot, 'scripts', 'gen-descriptors.mjs'), '--check']);
  });

  it('serves methods that encode and decode as the .proto text parsed at run time does', () => {
    const runtime = grpcService('cri', 'runtime.v1.RuntimeService');
    assert.equal(runtime.RunPodSandbox!.path, '/runtime.v1.RuntimeService/RunPodSandbox');
    assert.equal(runtime.GetContainerEvents!.responseStream, true);
    assert.equal(runtime.RunPodSandbox!.originalName, 'runPodSandbox');
    const parsed = new protobuf.Root();
    parsed.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(packageRoot, 'api', target));
    parsed.loadSync('cri/v1/api.proto', { keepCase: false });
    const type = parsed.lookupType('runtime.v1.RunPodSandboxRequest');
    const request = { config: { metadata: { name: 'p', uid: 'u', namespace: 'n', attempt: 2 }, linux: { sysctls: { a: 'b' } }, portMappings: [{ protocol: 'UDP', hostPort: 80 }] }, runtimeHandler: 'runc' };
    const bytes = runtime.RunPodSandbox!.requestSerialize(request);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(type.encode(type.fromObject(request)).finish()));
    const decoded = runtime.RunPodSandbox!.requestDeserialize(bytes) as { config: { portMappings: Array<{ protocol: string; containerPort: number }>; metadata: { attempt: number } } };
    assert.equal(decoded.config.portMappings[0]!.protocol, 'UDP');
    assert.equal(decoded.config.portMappings[0]!.containerPort, 0, 'defaults are filled');
    assert.equal(decoded.config.metadata.attempt, 2);
    const exit = grpcService('containerd', 'containerd.services.tasks.v1.Tasks').Wait!;
    const answer = exit.responseDeserialize(exit.responseSerialize({ exitStatus: 3, exitedAt: { seconds: '5', nanos: 1 } })) as { exitedAt: { seconds: string } };
    assert.equal(answer.exitedAt.seconds, '5', 'int64 as a decimal string');
  });
});
