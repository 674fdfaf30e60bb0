// The simulator's checkers on hand-made observations: each must flag the violation it exists for, and
// stay quiet on a correct history.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryStorage, RawNode, SeededRandom, type Entry } from '../../src/raft/index.js';
import { checkLinearizability, keyValueModel } from '../lib/linearizability.js';
import { SafetyCheckers } from './checkers.js';
import { EventQueue } from './event-queue.js';
import { simulate } from './simulator.js';

const encoder = new TextEncoder();

function entry(index: number, term: number, text = `${index}@${term}`): Entry {
  return { index, term, type: 'normal', data: encoder.encode(text) };
}

function nodeWithLog(terms: number[]): RawNode {
  const storage = new MemoryStorage({ voters: ['a', 'b', 'c'], learners: [] });
  storage.append(terms.map((term, i) => entry(i + 1, term)));
  storage.setHardState({ term: terms[terms.length - 1] ?? 0, vote: '', commit: 0 });
  return new RawNode({ id: 'a', random: new SeededRandom(1) }, storage);
}

describe('SafetyCheckers', () => {
  it('election safety: a second leader in a term is reported', () => {
    const checkers = new SafetyCheckers();
    checkers.observeLeader(1, 'a', 3, nodeWithLog([]));
    checkers.observeLeader(2, 'a', 3, nodeWithLog([]));
    assert.equal(checkers.violations.length, 0);
    checkers.observeLeader(3, 'b', 3, nodeWithLog([]));
    assert.deepEqual(
      checkers.violations.map((v) => v.checker),
      ['electionSafety'],
    );
  });

  it('log matching: the same index and term with different contents, or after different terms', () => {
    const checkers = new SafetyCheckers();
    checkers.observeAppended(1, 'a', [entry(1, 1), entry(2, 2)], 0);
    checkers.observeAppended(2, 'b', [entry(2, 2)], 1);
    assert.equal(checkers.violations.length, 0);
    checkers.observeAppended(3, 'c', [entry(2, 2, 'other')], 1);
    checkers.observeAppended(4, 'c', [entry(2, 2)], 2);
    assert.deepEqual(
      checkers.violations.map((v) => v.checker),
      ['logMatching', 'logMatching'],
    );
  });

  it('state machine safety: different entries applied at one index, or an index skipped', () => {
    const checkers = new SafetyCheckers();
    checkers.observeApplied(1, 'a', entry(1, 1), 0);
    checkers.observeApplied(2, 'b', entry(1, 1), 0);
    assert.equal(checkers.violations.length, 0);
    checkers.observeApplied(3, 'c', entry(1, 2), 0);
    checkers.observeApplied(4, 'a', entry(3, 1), 1);
    assert.deepEqual(
      checkers.violations.map((v) => v.checker),
      ['stateMachineSafety', 'stateMachineSafety'],
    );
  });

  it('leader completeness: a new leader must hold every entry applied anywhere', () => {
    const checkers = new SafetyCheckers();
    checkers.observeApplied(1, 'b', entry(1, 1), 0);
    checkers.observeApplied(1, 'b', entry(2, 2), 1);
    checkers.observeLeader(2, 'a', 3, nodeWithLog([1, 2, 3]));
    assert.equal(checkers.violations.length, 0);
    checkers.observeLeader(3, 'c', 4, nodeWithLog([1, 3]));
    checkers.observeLeader(4, 'd', 5, nodeWithLog([1]));
    assert.deepEqual(
      checkers.violations.map((v) => v.checker),
      ['leaderCompleteness', 'leaderCompleteness'],
    );
  });

  it('snapshots must agree with what was applied, and with each other', () => {
    const checkers = new SafetyCheckers();
    checkers.observeApplied(1, 'a', entry(1, 1), 0);
    checkers.observeSnapshot(2, 'a', 1, 1, '[["k","v"]]');
    checkers.observeSnapshot(3, 'b', 1, 1, '[["k","v"]]');
    assert.equal(checkers.violations.length, 0);
    checkers.observeSnapshot(4, 'c', 1, 2, '[["k","v"]]');
    checkers.observeSnapshot(5, 'c', 1, 1, '[["k","w"]]');
    assert.deepEqual(
      checkers.violations.map((v) => v.checker),
      ['stateMachineSafety', 'stateMachineSafety'],
    );
  });
});

describe('the simulator', () => {
  it('replays a seed exactly: same events, same trace, same history', () => {
    const first = simulate({ seed: 77, trace: true });
    const second = simulate({ seed: 77, trace: true });
    assert.deepEqual(second.stats, first.stats);
    assert.deepEqual(second.trace, first.trace);
    assert.ok(first.trace.length > 100, 'the trace says what happened');
    assert.match(first.trace[0] ?? '', /seed 77: nodes=/);
    const other = simulate({ seed: 78 });
    assert.notDeepEqual(other.stats, first.stats);
  });

  it('records a history the linearizability checker accepts, and rejects once corrupted', () => {
    const result = simulate({ seed: 5, profile: { messageLoss: 0, crashChance: 0.2 } });
    assert.equal(result.stats.linearizability, 'linearizable');
    const history = result.history;
    const readIndex = history.findIndex((op) => op.input.kind === 'get' && op.output !== undefined);
    assert.ok(readIndex >= 0, 'the run completed reads');
    const read = history[readIndex]!;
    const corrupted = [...history];
    corrupted[readIndex] = { ...read, output: { kind: 'get', value: 'never-written' } };
    assert.equal(checkLinearizability(keyValueModel, history).result, 'linearizable');
    assert.equal(checkLinearizability(keyValueModel, corrupted).result, 'violation');
  });

  it('orders simultaneous events by insertion', () => {
    const queue = new EventQueue<string>();
    queue.push(5, 'c');
    queue.push(1, 'a');
    queue.push(5, 'd');
    queue.push(1, 'b');
    queue.push(3, 'x');
    const order: string[] = [];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) order.push(next.event);
    assert.deepEqual(order, ['a', 'b', 'x', 'c', 'd']);
  });
});
