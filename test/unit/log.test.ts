import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { formatLogLine, resolveLogFormat, textStream } from '../../src/log.js';

/** What a pino logger writing through the text stream prints. */
function textLogger(colour = false): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'info', base: { service: 'cri-ts' } }, textStream({ write: (text: string) => lines.push(text) }, colour));
  return { log, lines };
}

describe('log format', () => {
  it('"auto" is text on a terminal and JSON elsewhere; an explicit format wins', () => {
    assert.equal(resolveLogFormat('auto', true), 'text');
    assert.equal(resolveLogFormat('auto', false), 'json');
    assert.equal(resolveLogFormat('json', true), 'json');
    assert.equal(resolveLogFormat('text', false), 'text');
  });

  it('prints time, level, message and fields on one line, quoting only what needs it', () => {
    const { log, lines } = textLogger();
    log.info({ podId: 'abc123', name: 'my pod', count: 3, labels: { app: 'x' } }, 'pod started');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  pod started podId=abc123 name="my pod" count=3 labels=\{"app":"x"\}\n$/);
  });

  it('shows an error\'s message inline, and its stack below only at error and fatal', () => {
    const { log, lines } = textLogger();
    const err = new Error('containerd went away');
    log.warn({ err, retryMs: 200 }, 'retrying');
    log.error({ err, containerId: 'c1' }, 'start failed');
    assert.match(lines[0]!, /WARN  retrying err="containerd went away" retryMs=200\n$/);
    assert.doesNotMatch(lines[0]!, /\n {4}Error/);
    assert.match(lines[1]!, /ERROR start failed err="containerd went away" containerId=c1\n {4}Error: containerd went away\n {8}at /);
  });

  it('colours the level only when asked', () => {
    const { log, lines } = textLogger(true);
    log.warn('careful');
    assert.match(lines[0]!, /\u001b\[33mWARN \u001b\[0m careful/);
  });

  it('passes a line that is not JSON through unchanged', () => {
    assert.equal(formatLogLine('not json\n'), 'not json\n');
  });
});
