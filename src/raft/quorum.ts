// Majority arithmetic over a set of voters. Kept apart and simple so that property tests can compare it
// with an obviously correct version (see test/raft/quorum.test.ts).

import type { NodeId } from './types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest value that a majority of voters has reached: the commit index when the values are match
 * indexes, the confirmed heartbeat round when they are acknowledged rounds. Voters without a value count
 * as 0. An empty voter set yields 0: nothing can be confirmed without voters.
 */
export function quorumValue(voters: ReadonlySet<NodeId>, valueOf: (id: NodeId) => number): number {
  const count = voters.size;
  if (count === 0) return 0;
  const values: number[] = [];
  for (const id of voters) values.push(valueOf(id));
  values.sort((a, b) => b - a);
  return values[majority(count) - 1] as number;
}

/** Tallies an election: `votes` maps voters that answered to whether they granted their vote. */
export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'lost';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const needed = majority(voters.size);
  if (granted >= needed) return 'won';
  if (granted + missing >= needed) return 'pending';
  return 'lost';
}
