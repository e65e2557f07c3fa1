import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { criSignalName, criSignalNumber } from '../../../src/container/signals.js';
import { CriError } from '../../../src/errors.js';
import { Signal } from '../../../src/generated/cri/runtime/v1/Signal.js';

const field = 'config.stop_signal';
const invalidArgument = (err: unknown): boolean => err instanceof CriError && err.kind === 'InvalidArgument' && err.message.startsWith(field);

describe('CRI stop signals by enum name', () => {
  const linux: Array<[string, number]> = [
    ['SIGTERM', 15],
    ['SIGKILL', 9],
    ['SIGQUIT', 3],
    ['SIGUSR1', 10],
    ['SIGWINCH', 28],
    ['SIGIOT', 6],
    ['SIGCLD', 17],
    ['SIGPOLL', 29],
    ['SIGSTKFLT', 16],
    ['SIGPWR', 30],
    ['SIGRTMIN', 34],
    ['SIGRTMINPLUS1', 35],
    ['SIGRTMINPLUS15', 49],
    ['SIGRTMAXMINUS14', 50],
    ['SIGRTMAXMINUS1', 63],
    ['SIGRTMAX', 64],
  ];

  it('reads the names cri-api v0.37 gives, with the SIGNAL_ prefix', () => {
    for (const [name, number] of linux) assert.equal(criSignalNumber(`SIGNAL_${name}`, field), number, name);
  });

  it('reads the names records written before cri-api v0.37 hold, without the prefix', () => {
    for (const [name, number] of linux) assert.equal(criSignalNumber(name, field), number, name);
  });

  it('gives no number for the runtime default, in either spelling, or for none', () => {
    assert.equal(criSignalNumber('SIGNAL_RUNTIME_DEFAULT', field), undefined);
    assert.equal(criSignalNumber('RUNTIME_DEFAULT', field), undefined);
    assert.equal(criSignalNumber('', field), undefined);
  });

  it('knows every name the schema lists, as the same number with or without the prefix', () => {
    for (const name of Object.keys(Signal)) {
      const bare = name.replace(/^SIGNAL_/, '');
      const number = criSignalNumber(name, field);
      if (bare === 'RUNTIME_DEFAULT') continue;
      assert.ok(number !== undefined && number >= 1 && number <= 64, `${name} -> ${number}`);
      assert.equal(criSignalNumber(bare, field), number, bare);
      assert.equal(criSignalNumber(`SIGNAL_${bare}`, field), number, bare);
    }
  });

  it('refuses what is no CRI signal name, naming the field', () => {
    for (const value of ['SIGNAL_SIGBOGUS', 'TERM', '15', 'SIGRTMINPLUS31', 'SIGRTMAXMINUS31', 'SIGNAL_SIGNAL_SIGTERM', 99 as unknown as string]) {
      assert.throws(() => criSignalNumber(value, field), invalidArgument, String(value));
    }
  });
});

describe('CRI stop signal names in replies', () => {
  it('spells a stored name as the schema does now, whichever spelling the record holds', () => {
    assert.equal(criSignalName('SIGNAL_SIGQUIT'), 'SIGNAL_SIGQUIT');
    assert.equal(criSignalName('SIGQUIT'), 'SIGNAL_SIGQUIT');
    assert.equal(criSignalName('SIGRTMAXMINUS1'), 'SIGNAL_SIGRTMAXMINUS1');
    assert.equal(criSignalName('RUNTIME_DEFAULT'), 'SIGNAL_RUNTIME_DEFAULT');
  });

  it('answers the runtime default for a name the schema does not list', () => {
    assert.equal(criSignalName(''), 'SIGNAL_RUNTIME_DEFAULT');
    assert.equal(criSignalName('SIGBOGUS'), 'SIGNAL_RUNTIME_DEFAULT');
    assert.equal(criSignalName('toString'), 'SIGNAL_RUNTIME_DEFAULT');
  });
});
