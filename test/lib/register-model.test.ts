import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinearizabilityInputError } from './linearizability-error.js';
import type { Operation } from './linearizability.js';
import type { RegisterInput, RegisterOutput } from './register-model.js';
import { registerModel } from './register-model.js';

describe('registerModel', () => {
  test('starts empty, and reads see the last write', () => {
    const start = registerModel.init();
    assert.equal(registerModel.step(start, { kind: 'get' }, { kind: 'get', value: null }).ok, true);
    const written = registerModel.step(start, { kind: 'put', value: 'a' }, { kind: 'put' }).next;
    assert.equal(registerModel.step(written, { kind: 'get' }, { kind: 'get', value: 'a' }).ok, true);
    assert.equal(registerModel.step(written, { kind: 'get' }, { kind: 'get', value: null }).ok, false);
  });

  test('compare-and-set compares with the current value', () => {
    const swapped = registerModel.step('a', { kind: 'cas', from: 'a', to: 'b' }, { kind: 'cas', ok: true });
    assert.deepEqual(swapped, { ok: true, next: 'b' });
    assert.deepEqual(
      registerModel.step('a', { kind: 'cas', from: null, to: 'b' }, { kind: 'cas', ok: false }),
      {
        ok: true,
        next: 'a',
      },
    );
    assert.equal(
      registerModel.step('a', { kind: 'cas', from: null, to: 'b' }, { kind: 'cas', ok: true }).ok,
      false,
    );
  });

  test('keys tell null from the string "null"', () => {
    assert.notEqual(registerModel.key(null), registerModel.key('null'));
  });

  test('a partition keeps everything but reads whose answer was never seen', () => {
    const operation = (
      input: RegisterInput,
      output: RegisterOutput | undefined,
    ): Operation<RegisterInput, RegisterOutput> => ({
      client: 0,
      input,
      call: 0,
      return: output === undefined ? Number.POSITIVE_INFINITY : 1,
      output,
    });
    const write = operation({ kind: 'put', value: 'a' }, undefined);
    const unansweredRead = operation({ kind: 'get' }, undefined);
    const read = operation({ kind: 'get' }, { kind: 'get', value: 'a' });
    assert.deepEqual(registerModel.partition!([write, unansweredRead, read]), [[write, read]]);
  });

  test('an output of another kind than the input is a recording mistake, thrown', () => {
    assert.throws(
      () => registerModel.step(null, { kind: 'get' }, { kind: 'put' }),
      (error: unknown) => error instanceof LinearizabilityInputError && error.code === 'MISMATCHED_OUTPUT',
    );
  });
});
