// The seeded simulator over many seeds: every run must pass every checker. A failure names the seed and
// the command that replays it with a full trace.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { unitsPerTick, type FaultProfile } from './profile.js';
import { runSeeds, type SeedRunSummary } from './run-seeds.js';

/** At least 2,000 seeds with drawn profiles in the default run, in four slices so that progress shows. */
const sliceSeeds = 500;
const slices = 4;

/** Leaders crash or are cut off right after their election or first commit, with one-entry appends. */
const leaderHostile: Partial<FaultProfile> = {
  messageBytesMax: 1,
  inflightMessagesMax: 8,
  newLeaderFault: 1,
  crashChance: 0.2,
  snapshotIntervalEntries: 10,
};

function describeFailures(summary: SeedRunSummary): string {
  return summary.failures
    .slice(0, 5)
    .map(
      (failure) =>
        `seed ${failure.seed}: ` +
        failure.violations
          .map((v) => `${v.checker} at tick ${(v.time / unitsPerTick).toFixed(2)}: ${v.message}`)
          .join('; ') +
        ` (replay: npm run sim -- --seed ${failure.seed} --trace)`,
    )
    .join('\n');
}

describe('simulator: many seeds, every checker', () => {
  it(`seeds 100001 to ${100000 + sliceSeeds} with hostile leader faults pass every checker`, () => {
    const summary = runSeeds({ firstSeed: 100_001, count: sliceSeeds, profile: leaderHostile });
    assert.equal(summary.failures.length, 0, describeFailures(summary));
  });

  for (let slice = 0; slice < slices; slice++) {
    const firstSeed = 1 + slice * sliceSeeds;
    it(`seeds ${firstSeed} to ${firstSeed + sliceSeeds - 1} pass every checker`, () => {
      const summary = runSeeds({ firstSeed, count: sliceSeeds });
      assert.equal(summary.failures.length, 0, describeFailures(summary));
      assert.equal(summary.seeds, sliceSeeds);
      assert.ok(summary.operations > sliceSeeds * 20, `only ${summary.operations} client operations ran`);
    });
  }
});
