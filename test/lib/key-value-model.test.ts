import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cas, get, put } from './history-builders.js';
import type { KeyValueState } from './key-value-model.js';
import { keyValueModel } from './key-value-model.js';

const stateOf = (entries: [string, string][]): KeyValueState => new Map(entries);

describe('keyValueModel.step', () => {
  test('a put sets its key and leaves the others alone', () => {
    const before = stateOf([['y', '0']]);
    const { ok, next } = keyValueModel.step(before, { kind: 'put', key: 'x', value: '1' }, { kind: 'put' });
    assert.equal(ok, true);
    assert.deepEqual(
      [...next],
      [
        ['y', '0'],
        ['x', '1'],
      ],
    );
    assert.deepEqual([...before], [['y', '0']], 'the step must not change the state it was given');
  });

  test('a get must return the current value, null for a missing key', () => {
    const state = stateOf([['x', '1']]);
    const step = (key: string, value: string | null): boolean =>
      keyValueModel.step(state, { kind: 'get', key }, { kind: 'get', value }).ok;
    assert.equal(step('x', '1'), true);
    assert.equal(step('x', '2'), false);
    assert.equal(step('x', null), false);
    assert.equal(step('y', null), true);
    assert.equal(step('y', '1'), false);
  });

  test('a compare-and-set swaps exactly when the value matches, and says so', () => {
    const state = stateOf([['x', 'a']]);
    const swap = keyValueModel.step(
      state,
      { kind: 'cas', key: 'x', from: 'a', to: 'b' },
      { kind: 'cas', ok: true },
    );
    assert.deepEqual([swap.ok, swap.next.get('x')], [true, 'b']);
    const claimedFailure = keyValueModel.step(
      state,
      { kind: 'cas', key: 'x', from: 'a', to: 'b' },
      { kind: 'cas', ok: false },
    );
    assert.equal(claimedFailure.ok, false);
    const fail = keyValueModel.step(
      state,
      { kind: 'cas', key: 'x', from: null, to: 'b' },
      { kind: 'cas', ok: false },
    );
    assert.deepEqual([fail.ok, fail.next.get('x')], [true, 'a']);
    const missing = keyValueModel.step(
      state,
      { kind: 'cas', key: 'y', from: null, to: 'c' },
      { kind: 'cas', ok: true },
    );
    assert.deepEqual([missing.ok, missing.next.get('y')], [true, 'c']);
  });

  test('an unknown outcome is always accepted, and a compare-and-set still applies only if it matches', () => {
    const state = stateOf([['x', 'a']]);
    assert.equal(keyValueModel.step(state, { kind: 'get', key: 'x' }, undefined).ok, true);
    const matches = keyValueModel.step(state, { kind: 'cas', key: 'x', from: 'a', to: 'b' }, undefined);
    assert.deepEqual([matches.ok, matches.next.get('x')], [true, 'b']);
    const differs = keyValueModel.step(state, { kind: 'cas', key: 'x', from: 'z', to: 'b' }, undefined);
    assert.deepEqual([differs.ok, differs.next.get('x')], [true, 'a']);
  });
});

describe('keyValueModel.key', () => {
  test('depends on the contents, not on the order keys were written in', () => {
    const one = keyValueModel.key(
      stateOf([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
    assert.equal(
      one,
      keyValueModel.key(
        stateOf([
          ['b', '2'],
          ['a', '1'],
        ]),
      ),
    );
    assert.notEqual(
      one,
      keyValueModel.key(
        stateOf([
          ['a', '1'],
          ['b', '3'],
        ]),
      ),
    );
    assert.notEqual(keyValueModel.key(stateOf([])), keyValueModel.key(stateOf([['a', '']])));
  });
});

describe('keyValueModel.partition', () => {
  test('groups operations by key in history order and drops reads whose answer was never seen', () => {
    const history = [
      put(0, 0, 1, 'x', '1'),
      get(1, 0, 'lost', 'x', null),
      put(2, 0, 'lost', 'y', '1'),
      get(0, 2, 3, 'x', '1'),
      cas(1, 2, 3, 'y', null, '2', false),
    ];
    const [first, second, third, fourth, fifth] = history;
    assert.deepEqual(keyValueModel.partition!(history), [
      [first, fourth],
      [third, fifth],
    ]);
    void second;
  });
});

describe('keyValueModel.describe', () => {
  test('names the key, the arguments and the answer', () => {
    const describe = (operation: ReturnType<typeof put>): string =>
      keyValueModel.describe!(operation.input, operation.output);
    assert.equal(describe(put(0, 0, 1, 'x', '1')), 'put("x", "1") → ok');
    assert.equal(describe(get(0, 0, 1, 'x', null)), 'get("x") → null');
    assert.equal(describe(get(0, 0, 'lost', 'x', null)), 'get("x") → ? (no response)');
    assert.equal(describe(cas(0, 0, 1, 'x', null, '2', true)), 'cas("x", null → "2") → swapped');
    assert.equal(describe(cas(0, 0, 1, 'x', 'a', '2', false)), 'cas("x", "a" → "2") → not swapped');
  });
});
