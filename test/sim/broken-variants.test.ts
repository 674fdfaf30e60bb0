// The checkers bite: each deliberately broken core must be caught within a bounded number of seeds.
// Each variant runs with a fault profile aimed at the window where its rule matters; the rest of the
// profile is still drawn from the seed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { brokenVariants, type BrokenVariantName } from './broken-variants.js';
import type { CheckerName } from './checkers.js';
import type { FaultProfile } from './profile.js';
import { runSeeds } from './run-seeds.js';

interface VariantCase {
  readonly variant: BrokenVariantName;
  readonly profile: Partial<FaultProfile>;
  /** Checkers any of which may report the fault first. */
  readonly expected: readonly CheckerName[];
  readonly seedsMax: number;
}

const cases: readonly VariantCase[] = [
  {
    // Two leaders in one term follow from any contested election.
    variant: 'doubleVote',
    profile: { preVote: false, checkQuorum: false, partitionChance: 0.5, crashChance: 0.3 },
    expected: ['electionSafety'],
    seedsMax: 200,
  },
  {
    // Figure 8: a new leader commits an older entry by counting, then fails before its own entry spreads.
    variant: 'oldTermCommit',
    profile: {
      nodeCount: 3,
      initialVoters: 3,
      messageBytesMax: 1,
      inflightMessagesMax: 8,
      messageLoss: 0.02,
      crashChance: 0.1,
      partitionChance: 0,
      membershipChance: 0,
      transferChance: 0,
      newLeaderFault: 1,
      snapshotIntervalEntries: 1000,
      restartDelayTicksMax: 10,
      faultIntervalTicks: 20,
      clients: 4,
      chaosTicks: 600,
    },
    expected: ['leaderCompleteness', 'stateMachineSafety'],
    seedsMax: 300,
  },
  {
    // A follower crashes with acknowledged entries still in its page cache.
    variant: 'ackBeforePersist',
    profile: {
      nodeCount: 3,
      initialVoters: 3,
      diskLatencies: [150, 150, 150],
      tornWrite: 0,
      crashChance: 0.6,
      faultIntervalTicks: 5,
      partitionChance: 0,
      membershipChance: 0,
      transferChance: 0,
      newLeaderFault: 0.5,
      restartDelayTicksMax: 3,
      clients: 4,
      snapshotIntervalEntries: 1000,
      electionTimeoutTicks: 14,
      heartbeatIntervalTicks: 3,
    },
    // The core itself notices first when a leader reports a commit the follower's log no longer holds.
    expected: ['invariant', 'leaderCompleteness', 'stateMachineSafety', 'linearizability'],
    seedsMax: 200,
  },
];

describe('broken variants are caught by the simulator', () => {
  for (const { variant, profile, expected, seedsMax } of cases) {
    it(`${variant} is reported within ${seedsMax} seeds`, () => {
      const summary = runSeeds({
        firstSeed: 1,
        count: seedsMax,
        raftFactory: brokenVariants[variant],
        profile,
        stopAtFirstFailure: true,
      });
      const failure = summary.failures[0];
      assert.ok(failure !== undefined, `no violation in ${summary.seeds} seeds`);
      const checkers = failure.violations.map((v) => v.checker);
      assert.ok(
        checkers.some((checker) => expected.includes(checker)),
        `seed ${failure.seed} reported ${checkers.join(', ')}, expected one of ${expected.join(', ')}`,
      );
      if (variant === 'ackBeforePersist' && checkers.includes('invariant')) {
        assert.ok(failure.violations.some((v) => /acknowledged as durable were lost/.test(v.message)));
      }
    });
  }

  it('the correct core passes the same hostile profiles', () => {
    for (const { profile } of cases) {
      const summary = runSeeds({ firstSeed: 1, count: 40, profile });
      assert.deepEqual(
        summary.failures.map((f) => `${f.seed}: ${f.violations[0]?.message ?? ''}`),
        [],
      );
    }
  });
});
