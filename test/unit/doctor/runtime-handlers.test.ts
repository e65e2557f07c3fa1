import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../../src/config/config.js';
import { checkRuntimeHandlers, shimBinaryName } from '../../../src/doctor/runtime-handlers.js';
import { scratchDir, writeProgram } from './scratch.js';

const handlers = (toml: string): ReturnType<typeof parseConfigText>['containerd'] => parseConfigText(toml, 't.toml').containerd;

describe('doctor: runtime handlers', () => {
  it('names shims as containerd runs them', () => {
    assert.equal(shimBinaryName('io.containerd.runc.v2'), 'containerd-shim-runc-v2');
    assert.equal(shimBinaryName('io.containerd.kata.v2'), 'containerd-shim-kata-v2');
  });

  it('reports each handler\'s binary and version and its shim', async () => {
    const bin = join(await scratchDir('rt'), 'bin');
    await writeProgram(join(bin, 'runc'), 'runc version 1.1.5');
    await writeProgram(join(bin, 'crun'), 'crun version 1.8.1');
    await writeProgram(join(bin, 'containerd-shim-runc-v2'), '');
    const results = await checkRuntimeHandlers(handlers('[containerd.runtimes.runc]\n[containerd.runtimes.crun.options]\nBinaryName = "crun"\n'), bin);
    assert.deepEqual(
      results.map((r) => [r.name, r.status, r.detail]),
      [
        ['runtime runc', 'ok', `runc version 1.1.5 (${bin}/runc); shim ${bin}/containerd-shim-runc-v2`],
        ['runtime crun', 'ok', `crun version 1.8.1 (${bin}/crun); shim ${bin}/containerd-shim-runc-v2`],
      ],
    );
  });

  it('fails a handler whose binary is missing, and one whose binary does not run', async () => {
    const bin = join(await scratchDir('rt-bad'), 'bin');
    await writeProgram(join(bin, 'containerd-shim-runc-v2'), '');
    await writeProgram(join(bin, 'broken'), 'segfault', 139);
    const [missing, broken] = await checkRuntimeHandlers(
      handlers('[containerd.runtimes.runc.options]\nBinaryName = "/nonexistent/runc"\n[containerd.runtimes.broken.options]\nBinaryName = "broken"\n'),
      bin,
    );
    assert.equal(missing?.status, 'fail');
    assert.match(missing?.detail ?? '', /runs "\/nonexistent\/runc", which is not an executable on PATH/);
    assert.match(missing?.fix ?? '', /containerd\.runtimes\.runc\.options\.BinaryName/);
    assert.equal(broken?.status, 'fail');
    assert.match(broken?.detail ?? '', /broken --version failed with exit code 139/);
  });

  it('warns when the handler\'s shim is not on PATH', async () => {
    const bin = join(await scratchDir('rt-noshim'), 'bin');
    await writeProgram(join(bin, 'runc'), 'runc version 1.1.5');
    const [result] = await checkRuntimeHandlers(handlers(''), bin);
    assert.equal(result?.status, 'warn');
    assert.match(result?.detail ?? '', /shim containerd-shim-runc-v2 not on cri-ts's PATH/);
  });
});
