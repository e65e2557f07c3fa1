import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '../../../src/log.js';
import { grpcService } from '../../../src/proto/grpc-service.js';
import type { ServerContext } from '../../../src/server/context.js';
import { registerService } from '../../../src/server/register-service.js';
import { runtimeServiceRpcs } from '../../../src/server/runtime-service.js';
import { criClient } from '../../harness/cri-client.js';

describe('RPCs cri-ts has no handler for', () => {
  let dir = '';
  let server: grpc.Server;
  let client: ReturnType<typeof criClient>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cri-ts-register-'));
    server = new grpc.Server();
    const ctx = { log: createLogger('silent') } as unknown as ServerContext;
    registerService(server, grpcService('cri', 'runtime.v1.RuntimeService'), 'runtime.v1.RuntimeService', runtimeServiceRpcs, ctx);
    const socket = join(dir, 'cri.sock');
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    client = criClient(socket);
  });

  after(async () => {
    client.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [rpc, call] of [
    ['CheckpointPod', () => client.runtime.CheckpointPod({ podSandboxId: 'p', outputPath: '/tmp/x', containerIds: ['c'] })],
    ['RestorePod', () => client.runtime.RestorePod({ checkpointPath: '/tmp/x', containerConfigs: [{ envs: [{ key: 'K', value: Buffer.from('v') }] }] })],
  ] as const) {
    it(`answer UNIMPLEMENTED naming the RPC: ${rpc}`, async () => {
      await assert.rejects(call(), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.UNIMPLEMENTED);
        assert.match(err.details, new RegExp(`runtime\\.v1\\.RuntimeService/${rpc} is not implemented`));
        return true;
      });
    });
  }
});
