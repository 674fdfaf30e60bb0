// One history of the size the simulator and the end-to-end workload produce, so that a change that makes
// the search exponential on realistic input fails here rather than in a long run. The timing of larger
// and harder shapes is measured by linearizability-timing.ts, outside the test run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValueOperation } from './key-value-model.js';
import { checkLinearizability, keyValueModel } from './linearizability.js';
import { randomPlan } from './random-plan.js';
import { recordSequentialHistory } from './sequential-history.js';

const history = recordSequentialHistory(
  randomPlan({ seed: 1, operationCount: 10_000, keyCount: 5, clientCount: 10, lostShare: 0.01 }),
);

test('10,000 operations on 5 keys from 10 clients, 1% without a response, pass within the default budget', () => {
  assert.deepEqual(checkLinearizability(keyValueModel, history), { result: 'linearizable' });
});

test('the same history with one read in the middle changed to a value never written is a violation', () => {
  let target = history.length / 2;
  while (history[target]!.input.kind !== 'get' || history[target]!.output === undefined) target += 1;
  const corrupted = history.map((operation, position): KeyValueOperation =>
    position === target ? { ...operation, output: { kind: 'get', value: 'never-written' } } : operation,
  );
  const verdict = checkLinearizability(keyValueModel, corrupted);
  assert.equal(verdict.result, 'violation');
  assert.ok(verdict.message.includes(`#${target} `), verdict.message);
});
