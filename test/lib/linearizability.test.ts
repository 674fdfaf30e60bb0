// Hand-written histories with a known answer, each small enough to check by reading it. Times are in
// arbitrary units; `lost` marks an operation whose client never got a response.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cas, get, put } from './history-builders.js';
import type { KeyValueOperation } from './key-value-model.js';
import type { Model, Operation, RegisterInput, RegisterOutput, Verdict } from './linearizability.js';
import {
  checkLinearizability,
  keyValueModel,
  LinearizabilityInputError,
  registerModel,
} from './linearizability.js';

function check(history: readonly KeyValueOperation[], stepBudget?: number): Verdict {
  return checkLinearizability(keyValueModel, history, stepBudget === undefined ? {} : { stepBudget });
}

function assertLinearizable(history: readonly KeyValueOperation[]): void {
  assert.deepEqual(check(history), { result: 'linearizable' });
}

/** Asserts a violation and returns its message for further checks. */
function assertViolation(history: readonly KeyValueOperation[], stepBudget?: number): string {
  const verdict = check(history, stepBudget);
  if (verdict.result !== 'violation') assert.fail(`expected a violation, got ${JSON.stringify(verdict)}`);
  return verdict.message;
}

describe('histories without concurrency', () => {
  test('an empty history is linearizable', () => {
    assertLinearizable([]);
  });

  test('writes and reads that agree in real-time order are linearizable', () => {
    assertLinearizable([
      get(0, 0, 1, 'x', null),
      put(0, 2, 3, 'x', '1'),
      get(1, 4, 5, 'x', '1'),
      cas(0, 6, 7, 'x', '1', '2', true),
      cas(1, 8, 9, 'x', '1', '3', false),
      get(0, 10, 11, 'x', '2'),
    ]);
  });

  test('a stale read after a completed write is a violation', () => {
    const message = assertViolation([put(0, 0, 1, 'x', '1'), put(0, 2, 3, 'x', '2'), get(1, 4, 5, 'x', '1')]);
    assert.match(message, /get\("x"\) → "1": the model rejects it in this state/);
  });

  test('an acknowledged write that a later read does not see is lost: a violation', () => {
    assertViolation([put(0, 0, 1, 'x', '1'), get(1, 2, 3, 'x', null)]);
    assertViolation([put(0, 0, 1, 'x', '1'), cas(1, 2, 3, 'x', null, '2', true)]);
  });

  test('a compare-and-set that fails although the value matched is a violation', () => {
    assertViolation([put(0, 0, 1, 'x', 'a'), cas(1, 2, 3, 'x', 'a', 'b', false)]);
  });
});

describe('concurrent operations', () => {
  test('two overlapping writes may take effect in either order', () => {
    const writes = [put(0, 0, 10, 'x', '1'), put(1, 0, 10, 'x', '2')];
    assertLinearizable([...writes, get(2, 11, 12, 'x', '1')]);
    assertLinearizable([...writes, get(2, 11, 12, 'x', '2')]);
  });

  test('once a later value is read, the earlier one cannot come back', () => {
    assertViolation([
      put(0, 0, 10, 'x', '1'),
      put(1, 0, 10, 'x', '2'),
      get(2, 11, 12, 'x', '2'),
      get(2, 13, 14, 'x', '1'),
    ]);
  });

  test('a read that overlaps a write may see the old or the new value', () => {
    assertLinearizable([put(0, 0, 10, 'x', '1'), get(1, 2, 3, 'x', null), get(2, 4, 5, 'x', '1')]);
  });

  test('two clients that observe two writes in opposite orders are a violation', () => {
    // Client 2 sees 1 then 2, client 3 sees 2 then 1, while both writes are in flight.
    assertViolation([
      put(0, 0, 100, 'x', '1'),
      put(1, 0, 100, 'x', '2'),
      get(2, 10, 20, 'x', '1'),
      get(3, 10, 20, 'x', '2'),
      get(2, 30, 40, 'x', '2'),
      get(3, 30, 40, 'x', '1'),
    ]);
  });

  test('operations whose times touch overlap, so either order is allowed', () => {
    assertLinearizable([put(0, 0, 5, 'x', '1'), get(1, 5, 6, 'x', null)]);
    assertViolation([put(0, 0, 5, 'x', '1'), get(1, 6, 7, 'x', null)]);
  });

  test('many overlapping writes stay cheap to reject thanks to memoisation', () => {
    // Ten concurrent writes have 10! orders; the cache of (placed set, state) cuts that to a few thousand
    // configurations, so a small budget suffices to prove that no order explains the reads.
    const writes = Array.from({ length: 10 }, (_, i) => put(i, 0, 100, 'x', `v${i}`));
    const reads = [get(20, 101, 102, 'x', 'v3'), get(20, 103, 104, 'x', 'v4')];
    assert.equal(check([...writes, ...reads], 200_000).result, 'violation');
    assert.equal(check([...writes, reads[0]!], 200_000).result, 'linearizable');
  });
});

describe('operations with unknown outcomes', () => {
  test('a write without a response may explain a later read', () => {
    assertLinearizable([put(0, 0, 'lost', 'x', '1'), get(1, 5, 6, 'x', '1')]);
    assertLinearizable([put(0, 0, 'lost', 'x', '1'), get(1, 1, 2, 'x', null), get(1, 50, 60, 'x', '1')]);
  });

  test('a write without a response may never have happened', () => {
    assertLinearizable([put(0, 0, 'lost', 'x', '1'), get(1, 5, 6, 'x', null), get(1, 7, 8, 'x', null)]);
  });

  test('a write without a response cannot explain a read that finished before it was called', () => {
    assertViolation([get(1, 0, 1, 'x', '1'), put(0, 2, 'lost', 'x', '1')]);
  });

  test('a write without a response takes effect at most once', () => {
    assertViolation([
      put(0, 0, 1, 'x', '2'),
      put(1, 2, 'lost', 'x', '1'),
      get(2, 3, 4, 'x', '1'),
      get(2, 5, 6, 'x', '2'),
      get(2, 7, 8, 'x', '1'),
    ]);
  });

  test('a timed-out write may take effect after its client gave up', () => {
    // Recorded with the time the client stopped waiting, but no output: the return time is not a bound.
    const timedOut: KeyValueOperation = { ...put(0, 0, 2, 'x', '1'), output: undefined };
    assertLinearizable([timedOut, get(1, 3, 4, 'x', null), get(1, 5, 6, 'x', '1')]);
  });

  test('a compare-and-set without a response takes effect only if its condition held', () => {
    assertLinearizable([cas(0, 2, 'lost', 'x', null, 'a'), get(1, 3, 4, 'x', 'a')]);
    assertViolation([put(1, 0, 1, 'x', 'b'), cas(0, 2, 'lost', 'x', null, 'a'), get(1, 3, 4, 'x', 'a')]);
  });

  test('unknown writes may chain: one unknown compare-and-set may depend on another', () => {
    assertLinearizable([
      cas(0, 0, 'lost', 'x', null, 'a'),
      cas(1, 0, 'lost', 'x', 'a', 'b'),
      get(2, 1, 2, 'x', 'b'),
    ]);
    assertViolation([cas(1, 0, 'lost', 'x', 'a', 'b'), get(2, 1, 2, 'x', 'b')]);
  });

  test('a failed compare-and-set can be explained by a write without a response', () => {
    const history = [put(0, 0, 1, 'x', 'a'), cas(1, 3, 4, 'x', 'a', 'b', false)];
    assertViolation(history);
    assertLinearizable([...history, put(2, 2, 'lost', 'x', 'c')]);
  });

  test('each unknown write explains at most one thing, and the search finds which', () => {
    // The lost write of "p" must explain the failed compare-and-set and the lost write of "r" the last
    // read; the search has to come back from trying them the other way round.
    assertLinearizable([
      cas(0, 1, 1, 'x', 'q', 'p', false),
      put(1, 0, 'lost', 'x', 'r'),
      put(2, 0, 0, 'x', 'q'),
      put(3, 0, 'lost', 'x', 'p'),
      get(4, 3, 3, 'x', 'r'),
      put(5, 2, 2, 'x', 'p'),
    ]);
    assertViolation([
      cas(0, 1, 1, 'x', 'q', 'p', false),
      put(1, 0, 'lost', 'x', 'r'),
      put(2, 0, 0, 'x', 'q'),
      get(4, 3, 3, 'x', 'r'),
      put(5, 2, 2, 'x', 'p'),
    ]);
  });

  test('unknown writes that lead to the same state are not interchangeable', () => {
    // Both lost writes could explain the first read, but only the put can explain the second one, after
    // "W": the search must try the compare-and-set first although the put reaches the same state.
    assertLinearizable([
      put(0, 0, 'lost', 'x', 'L'),
      cas(1, 1, 'lost', 'x', null, 'L'),
      get(2, 5, 6, 'x', 'L'),
      put(2, 7, 8, 'x', 'W'),
      get(2, 9, 10, 'x', 'L'),
    ]);
  });

  test('many unknown writes around concurrent writes stay cheap to search', () => {
    // Every dead end could try every subset of the fifteen lost writes in every order. Runs that a
    // smaller set of lost writes already reaches, and configurations that differ from an explored one only
    // by more lost writes placed, are skipped; without that this needs far more than the budget.
    const lost = Array.from({ length: 15 }, (_, i) => put(i + 10, i, 'lost', 'x', `lost${i}`));
    const writes = Array.from({ length: 6 }, (_, i) => put(i, 20, 30, 'x', `w${i}`));
    const history = [...lost, ...writes, get(9, 31, 32, 'x', 'w0')];
    assert.equal(check([...history, get(9, 33, 34, 'x', 'w1')], 150_000).result, 'violation');
    assert.equal(
      check([...history, get(9, 33, 34, 'x', 'lost3'), get(9, 35, 36, 'x', 'lost4')], 150_000).result,
      'linearizable',
    );
  });

  test('a read without a response constrains nothing', () => {
    assertLinearizable([put(0, 0, 1, 'x', '1'), get(1, 2, 'lost', 'x', null), get(1, 3, 4, 'x', '1')]);
  });

  test('many unknown writes do not hide a stale read', () => {
    const lost = Array.from({ length: 12 }, (_, i) => put(i + 2, i, 'lost', 'x', `lost${i}`));
    assertViolation([...lost, put(0, 20, 21, 'x', 'a'), put(0, 22, 23, 'x', 'b'), get(1, 24, 25, 'x', 'a')]);
    assertLinearizable([
      ...lost,
      put(0, 20, 21, 'x', 'a'),
      get(1, 24, 25, 'x', 'lost7'),
      get(1, 26, 27, 'x', 'lost7'),
    ]);
  });
});

describe('violation reports', () => {
  test('name the part that failed and its first operation', () => {
    const message = assertViolation([
      put(0, 0, 1, 'a', '1'),
      get(0, 2, 3, 'a', '1'),
      put(0, 0, 1, 'b', '1'),
      get(1, 2, 3, 'b', null),
    ]);
    assert.match(
      message,
      /^Not linearizable: part 2 of 2 \(2 operations, the first of them #2 client 0 \[0, 1\] put\("b", "1"\)/,
    );
  });

  test('give the longest linearizable prefix, its state and the operations that could not follow', () => {
    const message = assertViolation([
      put(0, 0, 1, 'x', '1'),
      put(0, 2, 3, 'x', '2'),
      get(1, 2, 5, 'x', '3'),
      put(2, 4, 'lost', 'x', '4'),
    ]);
    const lines = message.split('\n');
    assert.deepEqual(lines.slice(1, 9), [
      'The longest linearizable prefix found has 2 of the 4 operations; in linearization order:',
      '  #0 client 0 [0, 1] put("x", "1") → ok',
      '  #1 client 0 [2, 3] put("x", "2") → ok',
      'State after it: [["x","2"]]',
      'None of the 2 operations that could come next leads to a linearization:',
      '  #2 client 1 [2, 5] get("x") → "3": the model rejects it in this state',
      '  1 without a response, which may take effect here but do not help: #3',
      '    #3 client 2 [4, ∞] put("x", "4") → ? (no response)',
    ]);
    assert.match(lines[9]!, /^#2 client 1 \[2, 5\] get\("x"\) → "3" returned first/);
  });

  test('are the same on every run, and the verdict does not depend on the order of the history', () => {
    const history = [
      put(0, 0, 10, 'x', '1'),
      put(1, 0, 10, 'x', '2'),
      get(2, 11, 12, 'x', '2'),
      get(2, 13, 14, 'x', '1'),
      put(3, 0, 'lost', 'y', '1'),
      get(3, 20, 21, 'y', '1'),
    ];
    assert.deepEqual(check(history), check(history));
    assert.equal(check([...history].reverse()).result, 'violation');
    assert.equal(check(history.slice(0, 3)).result, 'linearizable');
    assert.equal(check(history.slice(0, 3).reverse()).result, 'linearizable');
  });
});

describe('budget and models', () => {
  test('an exhausted step budget gives an unknown verdict, not a guess', () => {
    const writes = Array.from({ length: 8 }, (_, i) => put(i, 0, 100, 'x', `v${i}`));
    const verdict = check([...writes, get(9, 101, 102, 'x', 'none')], 50);
    assert.equal(verdict.result, 'unknown');
    assert.match(verdict.reason, /step budget of 50 ran out in part 1 of 1 \(9 operations\)/);
  });

  test('the budget is shared by all parts of the history', () => {
    const history = ['a', 'b', 'c'].flatMap((key) => [put(0, 0, 1, key, '1'), get(1, 2, 3, key, '1')]);
    assert.equal(check(history, 6).result, 'linearizable');
    assert.equal(check(history, 5).result, 'unknown');
  });

  test('small parts are checked first, so a budget spent on a large one does not hide their violation', () => {
    const hard = Array.from({ length: 8 }, (_, i) => put(i, 0, 100, 'a', `v${i}`));
    const history = [...hard, get(9, 101, 102, 'a', 'none'), put(0, 0, 1, 'b', '1'), get(1, 2, 3, 'b', null)];
    assert.match(assertViolation(history, 50), /^Not linearizable: part 2 of 2 /);
  });

  test('the register model checks a single value', () => {
    const operation = (
      call: number,
      returned: number,
      input: RegisterInput,
      output: RegisterOutput,
    ): Operation<RegisterInput, RegisterOutput> => ({ client: 0, input, call, return: returned, output });
    const history = [
      operation(0, 1, { kind: 'put', value: 'a' }, { kind: 'put' }),
      operation(2, 3, { kind: 'cas', from: 'a', to: 'b' }, { kind: 'cas', ok: true }),
      operation(4, 5, { kind: 'get' }, { kind: 'get', value: 'b' }),
    ];
    assert.deepEqual(checkLinearizability(registerModel, history), { result: 'linearizable' });
    const stale = [...history, operation(6, 7, { kind: 'get' }, { kind: 'get', value: 'a' })];
    const verdict = checkLinearizability(registerModel, stale);
    assert.equal(verdict.result, 'violation');
    assert.match(verdict.message, /get\(\) → "a": the model rejects it/);
  });

  test('a model without partition or describe is checked whole and described as data', () => {
    // A counter: `add` returns nothing, `read` returns the total.
    type CounterInput = { add: number } | { read: true };
    const counter: Model<number, CounterInput, number | null> = {
      init: () => 0,
      step: (state, input, output) =>
        'add' in input
          ? { ok: true, next: state + input.add }
          : { ok: output === undefined || output === state, next: state },
      key: (state) => String(state),
    };
    const add = (call: number, returned: number, amount: number): Operation<CounterInput, number | null> => ({
      client: 0,
      input: { add: amount },
      call,
      return: returned,
      output: null,
    });
    const read = (call: number, returned: number, total: number): Operation<CounterInput, number | null> => ({
      client: 1,
      input: { read: true },
      call,
      return: returned,
      output: total,
    });
    assert.deepEqual(checkLinearizability(counter, [add(0, 10, 1), add(0, 10, 2), read(5, 6, 2)]), {
      result: 'linearizable',
    });
    const verdict = checkLinearizability(counter, [add(0, 10, 1), add(0, 10, 2), read(5, 6, 4)]);
    assert.equal(verdict.result, 'violation');
    assert.match(verdict.message, /#2 client 1 \[5, 6\] \{"read":true\} → 4: the model rejects it/);
  });
});

describe('malformed input', () => {
  const expectCode = (code: string, run: () => unknown): void => {
    assert.throws(run, (error: unknown) => error instanceof LinearizabilityInputError && error.code === code);
  };

  test('an operation that returns before its call', () => {
    expectCode('INVALID_OPERATION', () => check([put(0, 5, 4, 'x', '1')]));
  });

  test('an operation without a response that has an output', () => {
    expectCode('INVALID_OPERATION', () =>
      check([{ ...put(0, 0, 1, 'x', '1'), return: Number.POSITIVE_INFINITY }]),
    );
  });

  test('an operation whose call time is not a finite number', () => {
    expectCode('INVALID_OPERATION', () => check([put(0, Number.NaN, 1, 'x', '1')]));
  });

  test('the same operation object twice', () => {
    const once = put(0, 0, 1, 'x', '1');
    expectCode('INVALID_OPERATION', () => check([once, once]));
  });

  test('an output of the wrong kind for its input', () => {
    expectCode('MISMATCHED_OUTPUT', () =>
      check([{ ...put(0, 0, 1, 'x', '1'), output: { kind: 'get', value: '1' } }]),
    );
  });

  test('a step budget that is not a positive integer', () => {
    expectCode('INVALID_OPTIONS', () => check([], 0));
    expectCode('INVALID_OPTIONS', () => check([], 1.5));
  });

  test('a partition that returns operations of its own', () => {
    const inventing: typeof keyValueModel = {
      ...keyValueModel,
      partition: (history) => [history.map((operation) => ({ ...operation }))],
    };
    expectCode('INVALID_PARTITION', () => checkLinearizability(inventing, [put(0, 0, 1, 'x', '1')]));
  });
});
