import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('durations', () => {
  it('parses Go-style durations to milliseconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', '10', 's', '10 s', '5d', '1h x', '-1s']) assert.equal(parseDuration(text), undefined, text);
  });

  it('formats back to the largest whole unit', () => {
    assert.equal(formatDuration(4 * 3_600_000), '4h');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(250), '250ms');
  });
});
