// Property tests: histories recorded from a real sequential execution must pass, the same histories with
// one read corrupted must fail, and on small arbitrary histories the checker must agree with a brute
// force that tries every order. Seeds are fixed so that every run tests the same cases.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { KeyValueInput, KeyValueOperation, KeyValueOutput } from './key-value-model.js';
import { checkLinearizability, keyValueModel } from './linearizability.js';
import type { PlannedOperation } from './sequential-history.js';
import { recordSequentialHistory } from './sequential-history.js';

const SEED = 20_240_501;
const NEVER_WRITTEN = 'never-written';

/** Plans for up to five clients on three keys; every written value is unique (`v` and the plan index). */
const planArbitrary: fc.Arbitrary<PlannedOperation[]> = fc
  .array(
    fc.record({
      client: fc.integer({ min: 0, max: 4 }),
      kind: fc.constantFrom('put', 'get', 'get', 'cas'),
      key: fc.constantFrom('a', 'b', 'c'),
      casFrom: fc.option(fc.nat(80), { nil: null }),
      idleBefore: fc.integer({ min: 0, max: 6 }),
      duration: fc.integer({ min: 0, max: 15 }),
      effectFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      lost: fc.option(fc.constantFrom('applied' as const, 'never-applied' as const), {
        freq: 6,
        nil: undefined,
      }),
      lostWithTimeout: fc.boolean(),
    }),
    { minLength: 1, maxLength: 80 },
  )
  .map((drawn) =>
    drawn.map((draw, index): PlannedOperation => {
      const { kind, key } = draw;
      const input: KeyValueInput =
        kind === 'put'
          ? { kind, key, value: `v${index}` }
          : kind === 'get'
            ? { kind, key }
            : { kind, key, from: draw.casFrom === null ? null : `v${draw.casFrom}`, to: `v${index}` };
      const { client, idleBefore, duration, effectFraction, lost, lostWithTimeout } = draw;
      return {
        client,
        input,
        idleBefore,
        duration,
        effectFraction,
        lostWithTimeout,
        ...(lost ? { lost } : {}),
      };
    }),
  );

describe('histories recorded from a sequential execution', () => {
  test('are linearizable, whatever the overlaps and lost responses', () => {
    fc.assert(
      fc.property(planArbitrary, (plan) => {
        const verdict = checkLinearizability(keyValueModel, recordSequentialHistory(plan));
        assert.deepEqual(verdict, { result: 'linearizable' });
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('are violations once one read is changed to a value that was never written', () => {
    fc.assert(
      fc.property(planArbitrary, fc.nat(), (plan, choice) => {
        const history = recordSequentialHistory(plan);
        const reads = history.flatMap((operation, position) =>
          operation.input.kind === 'get' && operation.output !== undefined ? [position] : [],
        );
        fc.pre(reads.length > 0);
        const target = reads[choice % reads.length]!;
        const corrupted = history.map((operation, position) =>
          position === target
            ? { ...operation, output: { kind: 'get' as const, value: NEVER_WRITTEN } }
            : operation,
        );
        const verdict = checkLinearizability(keyValueModel, corrupted);
        assert.equal(verdict.result, 'violation');
        assert.ok(verdict.message.includes(`#${target} `), verdict.message);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

/** Small arbitrary histories: few keys and values, so that outputs are often right and often wrong. */
const smallHistoryArbitrary: fc.Arbitrary<KeyValueOperation[]> = fc.array(
  fc
    .record({
      client: fc.nat(3),
      key: fc.constantFrom('a', 'b'),
      kind: fc.constantFrom('put', 'get', 'cas'),
      value: fc.constantFrom('p', 'q'),
      from: fc.constantFrom(null, 'p', 'q'),
      read: fc.constantFrom(null, 'p', 'q'),
      swapped: fc.boolean(),
      call: fc.nat(8),
      duration: fc.nat(5),
      response: fc.constantFrom('answered', 'answered', 'answered', 'lost', 'timed-out'),
    })
    .map((draw): KeyValueOperation => {
      const { client, key, kind, value, call } = draw;
      const input: KeyValueInput =
        kind === 'put'
          ? { kind, key, value }
          : kind === 'get'
            ? { kind, key }
            : { kind, key, from: draw.from, to: value };
      const output: KeyValueOutput =
        kind === 'put' ? { kind } : kind === 'get' ? { kind, value: draw.read } : { kind, ok: draw.swapped };
      if (draw.response === 'lost')
        return { client, input, call, return: Number.POSITIVE_INFINITY, output: undefined };
      const returned = call + draw.duration;
      return {
        client,
        input,
        call,
        return: returned,
        output: draw.response === 'answered' ? output : undefined,
      };
    }),
  { maxLength: 7 },
);

/**
 * Whether some order of the operations explains the history, tried the slow and obvious way: every
 * ordering of every subset that holds all answered operations, checked for real-time order and replayed
 * on a plain map. Written without the checker's model so that the two can disagree.
 */
function bruteForceLinearizable(history: readonly KeyValueOperation[]): boolean {
  const respondedBy = (operation: KeyValueOperation): number =>
    operation.output === undefined ? Number.POSITIVE_INFINITY : operation.return;
  const respectsRealTime = (order: readonly KeyValueOperation[]): boolean =>
    order.every((earlier, i) => order.slice(i + 1).every((later) => !(respondedBy(later) < earlier.call)));
  const replays = (order: readonly KeyValueOperation[]): boolean => {
    const store = new Map<string, string>();
    for (const { input, output } of order) {
      const current = store.get(input.key) ?? null;
      if (input.kind === 'put') {
        store.set(input.key, input.value);
      } else if (input.kind === 'get') {
        if (output !== undefined && (output.kind !== 'get' || output.value !== current)) return false;
      } else {
        const swaps = current === input.from;
        if (output !== undefined && (output.kind !== 'cas' || output.ok !== swaps)) return false;
        if (swaps) store.set(input.key, input.to);
      }
    }
    return true;
  };
  const permutations = function* (items: readonly KeyValueOperation[]): Generator<KeyValueOperation[]> {
    if (items.length === 0) yield [];
    for (const [i, item] of items.entries()) {
      for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [item, ...rest];
    }
  };
  const answered = history.filter((operation) => operation.output !== undefined);
  const unanswered = history.filter((operation) => operation.output === undefined);
  for (let subset = 0; subset < 2 ** unanswered.length; subset += 1) {
    const included = [...answered, ...unanswered.filter((_, bit) => (subset >> bit) & 1)];
    for (const order of permutations(included)) {
      if (respectsRealTime(order) && replays(order)) return true;
    }
  }
  return false;
}

describe('small arbitrary histories', () => {
  test('get the same verdict from the checker as from trying every order', () => {
    const verdicts = { linearizable: 0, violation: 0 };
    fc.assert(
      fc.property(smallHistoryArbitrary, (history) => {
        const expected = bruteForceLinearizable(history) ? 'linearizable' : 'violation';
        verdicts[expected] += 1;
        assert.equal(checkLinearizability(keyValueModel, history).result, expected);
        assert.equal(checkLinearizability(keyValueModel, [...history].reverse()).result, expected);
      }),
      { seed: SEED, numRuns: 1500 },
    );
    // Both answers must be well represented, or the comparison proves little.
    assert.ok(verdicts.linearizable > 300 && verdicts.violation > 300, JSON.stringify(verdicts));
  });
});
