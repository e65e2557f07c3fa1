import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CRI_TS_NODE_ENV, CRI_TS_NODE_FLAGS } from '../../../src/cli/node-flags.js';
import { packageRoot } from '../../../src/package-paths.js';

const environment = Object.entries(CRI_TS_NODE_ENV).map(([name, value]) => `${name}=${value}`);

describe('the node flags and environment cri-ts runs with', () => {
  it('are on every command line that starts it: the shebang, start.sh and the installed wrapper', () => {
    const shebang = readFileSync(`${packageRoot}dist/bin/cri-ts.mjs`, 'utf8').split('\n')[0]!;
    const startLine = readFileSync(`${packageRoot}scripts/start.sh`, 'utf8').split('\n').find((line) => line.startsWith('exec env'))!;
    const wrapperLine = readFileSync(`${packageRoot}scripts/install.sh`, 'utf8').split('\n').find((line) => line.startsWith('exec env'))!;
    const expected = {
      shebang: `#!/usr/bin/env -S ${environment.join(' ')} node ${CRI_TS_NODE_FLAGS.join(' ')}`,
      start: `exec env ${environment.join(' ')} node ${CRI_TS_NODE_FLAGS.join(' ')} `,
      wrapper: `exec env ${environment.join(' ')} $node ${CRI_TS_NODE_FLAGS.join(' ')} `,
    };
    assert.equal(shebang, expected.shebang);
    assert.ok(startLine?.startsWith(expected.start), `scripts/start.sh: ${startLine}`);
    assert.ok(wrapperLine?.startsWith(expected.wrapper), `scripts/install.sh: ${wrapperLine}`);
  });

  it('reach node through the shebang: env -S sets the variables, then runs node with the flags', () => {
    const shebang = readFileSync(`${packageRoot}dist/bin/cri-ts.mjs`, 'utf8').split('\n')[0]!;
    // As the kernel runs a script: the rest of the line is one argument, the script (here -e) follows.
    const [interpreter, ...rest] = shebang.slice('#!'.length).split(' ');
    const seen = execFileSync(interpreter!, [rest.join(' '), '-e', 'process.stdout.write(JSON.stringify({ env: process.env, flags: process.execArgv }))'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    const { env, flags } = JSON.parse(seen) as { env: Record<string, string>; flags: string[] };
    for (const [name, value] of Object.entries(CRI_TS_NODE_ENV)) assert.equal(env[name], value, name);
    for (const flag of CRI_TS_NODE_FLAGS) assert.ok(flags.includes(flag), `${flag} in ${flags.join(' ')}`);
  });
});
