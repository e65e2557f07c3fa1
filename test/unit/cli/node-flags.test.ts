import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CRI_TS_NODE_FLAGS } from '../../../src/cli/node-flags.js';
import { packageRoot } from '../../../src/package-paths.js';

describe('the node flags cri-ts runs with', () => {
  it('are on every command line that starts it: the shebang, start.sh and the installed wrapper', () => {
    const shebang = readFileSync(`${packageRoot}dist/bin/cri-ts.mjs`, 'utf8').split('\n')[0]!;
    const startLine = readFileSync(`${packageRoot}scripts/start.sh`, 'utf8').split('\n').find((line) => line.startsWith('exec node'))!;
    const wrapperLine = readFileSync(`${packageRoot}scripts/install.sh`, 'utf8').split('\n').find((line) => line.startsWith('exec $node'))!;
    for (const flag of CRI_TS_NODE_FLAGS) {
      assert.ok(shebang.startsWith('#!/usr/bin/env -S node ') && shebang.includes(flag), `cri-ts.mjs shebang ${shebang}`);
      assert.ok(startLine.includes(`node ${flag}`), `scripts/start.sh: ${startLine}`);
      assert.ok(wrapperLine.includes(`$node ${flag}`), `scripts/install.sh: ${wrapperLine}`);
    }
  });
});
