// The node's log: durable entries, the unstable tail, conflicts and slicing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { MemoryStorage, RaftInvariantError, type Entry } from '../../src/raft/index.js';
import { RaftLog } from '../../src/raft/raft-log.js';
import { Unstable } from '../../src/raft/unstable.js';
import { entriesWithTerms } from './single-node.js';

function logWith(storedTerms: number[], unstableTerms: number[] = []): RaftLog {
  const storage = new MemoryStorage({ voters: ['1'], learners: [] });
  storage.append(entriesWithTerms(storedTerms));
  const log = new RaftLog(storage, undefined);
  if (unstableTerms.length > 0) log.append(entriesWithTerms(unstableTerms, storedTerms.length + 1));
  return log;
}

function terms(log: RaftLog): number[] {
  const out: number[] = [];
  for (let index = log.firstIndex(); index <= log.lastIndex(); index++) out.push(log.term(index));
  return out;
}

describe('RaftLog', () => {
  it('reads terms across storage and the unstable tail', () => {
    const log = logWith([1, 1, 2], [3, 3]);
    assert.deepEqual(terms(log), [1, 1, 2, 3, 3]);
    assert.equal(log.termIfKnown(0), 0);
    assert.equal(log.termIfKnown(6), undefined);
    assert.deepEqual(log.lastEntryId(), { index: 5, term: 3 });
  });

  it('finds the first conflicting entry', () => {
    const log = logWith([1, 1, 2, 2]);
    assert.equal(log.findConflict(entriesWithTerms([1, 1], 1)), 0);
    assert.equal(log.findConflict(entriesWithTerms([2, 2, 3], 3)), 5, 'new entries past the end');
    assert.equal(log.findConflict(entriesWithTerms([1, 3, 3], 2)), 3);
  });

  it('finds where a leader and a follower may agree, one term at a time', () => {
    const log = logWith([1, 3, 3, 3, 5, 5, 5, 5, 5]);
    assert.deepEqual(log.findConflictByTerm(9, 4), { index: 4, term: 3 });
    assert.deepEqual(log.findConflictByTerm(9, 5), { index: 9, term: 5 });
    assert.deepEqual(log.findConflictByTerm(9, 2), { index: 1, term: 1 });
    assert.deepEqual(log.findConflictByTerm(9, 0), { index: 0, term: 0 });
  });

  it('appends over a conflicting unstable or durable suffix', () => {
    const log = logWith([1, 1, 1], [1, 1]);
    log.append(entriesWithTerms([2, 2], 4));
    assert.deepEqual(terms(log), [1, 1, 1, 2, 2]);
    log.append(entriesWithTerms([3], 2));
    assert.deepEqual(terms(log), [1, 3]);
    assert.equal(log.lastDurableIndex(), 1, 'only entry 1 is both durable and still ours');
  });

  it('refuses to overwrite committed entries or to leave a gap', () => {
    const log = logWith([1, 1, 1]);
    log.commitTo(2);
    assert.throws(() => log.append(entriesWithTerms([2], 2)), RaftInvariantError);
    assert.throws(() => log.append(entriesWithTerms([2], 5)), RaftInvariantError);
    assert.throws(() => log.commitTo(4), RaftInvariantError);
  });

  it('slices across storage and the unstable tail within a byte budget', () => {
    const log = logWith([1, 1, 1], [2, 2]); // payloads of 3 bytes ("1@1")
    const indexes = (entries: Entry[]): number[] => entries.map((e) => e.index);
    assert.deepEqual(indexes(log.slice(1, 6, 1000)), [1, 2, 3, 4, 5]);
    assert.deepEqual(indexes(log.slice(2, 6, 6)), [2, 3]);
    assert.deepEqual(indexes(log.slice(3, 6, 6)), [3, 4]);
    assert.deepEqual(indexes(log.slice(4, 6, 0)), [4], 'at least one entry');
    assert.throws(() => log.slice(0, 2, 100), RaftInvariantError);
  });

  it('hands out committed entries once, after advance acknowledges them', () => {
    const log = logWith([1, 1, 1, 1]);
    log.commitTo(3);
    assert.deepEqual(
      log.nextCommittedEntries(100).map((e) => e.index),
      [1, 2, 3],
    );
    log.appliedTo(3);
    assert.equal(log.hasNextCommittedEntries(), false);
    assert.throws(() => log.appliedTo(4), RaftInvariantError);
  });

  it('a pending snapshot replaces the log and hides the older storage', () => {
    const log = logWith([1, 1, 1]);
    log.restore({ index: 10, term: 4, confState: { voters: ['1'], learners: [] } });
    assert.deepEqual([log.firstIndex(), log.lastIndex(), log.committed], [11, 10, 10]);
    assert.equal(log.termIfKnown(2), undefined);
    assert.equal(log.termIfKnown(10), 4);
    assert.equal(log.hasNextCommittedEntries(), false, 'nothing to apply until the snapshot is installed');
  });

  it('matches a simple array model under random appends and persistence', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom('append', 'persist'),
            at: fc.nat({ max: 12 }),
            count: fc.integer({ min: 1, max: 4 }),
            term: fc.integer({ min: 1, max: 6 }),
          }),
          { maxLength: 30 },
        ),
        (operations) => {
          const storage = new MemoryStorage({ voters: ['1'], learners: [] });
          const log = new RaftLog(storage, undefined);
          let model: number[] = [];
          for (const op of operations) {
            if (op.kind === 'persist') {
              const pending = log.unstable.entries.slice();
              storage.append(pending);
              const last = pending[pending.length - 1];
              if (last !== undefined) log.unstable.stableTo(last.index, last.term);
              continue;
            }
            const first = Math.min(op.at, model.length) + 1;
            const entries = Array.from({ length: op.count }, (_, i): Entry => ({
              index: first + i,
              term: op.term,
              type: 'normal',
              data: new Uint8Array([op.term]),
            }));
            log.append(entries);
            model = [...model.slice(0, first - 1), ...entries.map((e) => e.term)];
          }
          assert.deepEqual(terms(log), model);
          assert.equal(log.lastIndex(), model.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Unstable', () => {
  it('marks entries stable only when the persisted entry still matches', () => {
    const unstable = new Unstable(5);
    unstable.truncateAndAppend(entriesWithTerms([2, 2, 2], 5));
    unstable.truncateAndAppend(entriesWithTerms([3], 6));
    unstable.stableTo(7, 2);
    assert.equal(unstable.offset, 5, 'entry 7 of term 2 was replaced: nothing becomes stable');
    unstable.stableTo(5, 2);
    assert.equal(unstable.offset, 6);
    assert.equal(unstable.termIfKnown(6), 3);
  });
});
