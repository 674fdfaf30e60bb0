// Dropping unobserved unknown writes must never change a verdict: checked against the full history on
// small arbitrary histories, linearizable ones and violations alike.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { type KeyValueOperation, checkLinearizability, keyValueModel } from '../../lib/linearizability.js';
import { withoutUnobservedUnknownWrites } from './history-pruning.js';

const operationArbitrary = fc.record({
  client: fc.integer({ min: 0, max: 3 }),
  key: fc.constantFrom('1', '2'),
  write: fc.boolean(),
  call: fc.integer({ min: 0, max: 30 }),
  durationMs: fc.integer({ min: 1, max: 12 }),
  answered: fc.integer({ min: 0, max: 3 }).map((roll) => roll > 0),
  readChoice: fc.integer({ min: -1, max: 9 }),
});

/** Arbitrary small histories; reads return null or the value of some write of any key, right or wrong. */
const historyArbitrary = fc.array(operationArbitrary, { minLength: 1, maxLength: 9 }).map((drafts) =>
  drafts.map((draft, index): KeyValueOperation => {
    const call = draft.call;
    const returned = call + draft.durationMs;
    if (draft.write) {
      return {
        client: draft.client,
        input: { kind: 'put', key: draft.key, value: `v${index}` },
        call,
        return: returned,
        output: draft.answered ? { kind: 'put' } : undefined,
      };
    }
    const value = draft.readChoice < 0 || draft.readChoice >= drafts.length ? null : `v${draft.readChoice}`;
    return {
      client: draft.client,
      input: { kind: 'get', key: draft.key },
      call,
      return: returned,
      output: { kind: 'get', value },
    };
  }),
);

describe('withoutUnobservedUnknownWrites', () => {
  it('drops only unknown writes that no read returned', () => {
    const history: KeyValueOperation[] = [
      { client: 0, input: { kind: 'put', key: '1', value: 'a' }, call: 0, return: 5, output: undefined },
      { client: 1, input: { kind: 'put', key: '1', value: 'b' }, call: 0, return: 5, output: undefined },
      {
        client: 2,
        input: { kind: 'put', key: '1', value: 'c' },
        call: 0,
        return: 5,
        output: { kind: 'put' },
      },
      {
        client: 3,
        input: { kind: 'get', key: '1' },
        call: 6,
        return: 7,
        output: { kind: 'get', value: 'b' },
      },
    ];
    assert.deepEqual(
      withoutUnobservedUnknownWrites(history).map((operation) => operation.input),
      history.slice(1).map((operation) => operation.input),
    );
  });

  it('gives the same verdict as the full history', () => {
    const seen = { linearizable: 0, violation: 0 };
    fc.assert(
      fc.property(historyArbitrary, (history) => {
        const full = checkLinearizability(keyValueModel, history).result;
        const pruned = checkLinearizability(keyValueModel, withoutUnobservedUnknownWrites(history)).result;
        if (full === 'linearizable' || full === 'violation') seen[full]++;
        assert.equal(pruned, full);
      }),
      { numRuns: 2_000, seed: 20_251_122 },
    );
    // The property means something only if both verdicts occurred.
    assert.ok(seen.linearizable > 100 && seen.violation > 100, JSON.stringify(seen));
  });
});
