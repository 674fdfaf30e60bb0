// The majority arithmetic against obviously correct versions, with generated inputs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { majority, quorumValue, voteResult } from '../../src/raft/quorum.js';

/** The largest value v such that at least a majority of voters have a value >= v (0 if none). */
function slowQuorumValue(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let best = 0;
  for (const candidate of values) {
    const atLeast = values.filter((value) => value >= candidate).length;
    if (atLeast * 2 > values.length && candidate > best) best = candidate;
  }
  return best;
}

function slowVoteResult(voterCount: number, granted: number, rejected: number): 'won' | 'lost' | 'pending' {
  if (voterCount === 0) return 'lost';
  if (granted * 2 > voterCount) return 'won';
  if ((voterCount - rejected) * 2 > voterCount) return 'pending';
  return 'lost';
}

describe('quorum arithmetic', () => {
  it('needs a strict majority', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((count) => majority(count)),
      [1, 2, 2, 3, 3, 4, 4],
    );
  });

  it('quorumValue is the largest value a majority has reached', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 50 }), { maxLength: 9 }), (values) => {
        const voters = new Set(values.map((_, i) => `n${i}`));
        const actual = quorumValue(voters, (id) => values[Number(id.slice(1))] as number);
        assert.equal(actual, slowQuorumValue(values));
      }),
      { numRuns: 500 },
    );
  });

  it('quorumValue counts voters without a value as 0', () => {
    const voters = new Set(['a', 'b', 'c']);
    assert.equal(
      quorumValue(voters, (id) => (id === 'a' ? 9 : 0)),
      0,
    );
    assert.equal(
      quorumValue(voters, (id) => (id === 'c' ? 0 : 7)),
      7,
    );
  });

  it('voteResult decides as soon as the outcome is certain', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }).chain((count) =>
          fc.tuple(
            fc.constant(count),
            fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), {
              minLength: count,
              maxLength: count,
            }),
          ),
        ),
        ([count, answers]) => {
          const voters = new Set(answers.map((_, i) => `n${i}`));
          const votes = new Map<string, boolean>();
          answers.forEach((answer, i) => {
            if (answer !== undefined) votes.set(`n${i}`, answer);
          });
          // Answers from non-voters never count.
          votes.set('outsider', true);
          const granted = answers.filter((a) => a === true).length;
          const rejected = answers.filter((a) => a === false).length;
          assert.equal(voteResult(voters, votes), slowVoteResult(count, granted, rejected));
        },
      ),
      { numRuns: 500 },
    );
  });
});
