import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allStepsSettled } from '../../src/undo-stack.js';

describe('allStepsSettled', () => {
  it('returns every value in order when all steps succeed', async () => {
    assert.deepEqual(await allStepsSettled([Promise.resolve(1), Promise.resolve('two')]), [1, 'two']);
  });

  it('throws the first failure only after the slower steps have finished too', async () => {
    let slowFinished = false;
    const slow = new Promise<void>((resolve) => setTimeout(() => {
      slowFinished = true;
      resolve();
    }, 50));
    await assert.rejects(allStepsSettled([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))]), /first/);
    assert.equal(slowFinished, true, 'the undo stack is complete when the caller unwinds it');
  });
});
