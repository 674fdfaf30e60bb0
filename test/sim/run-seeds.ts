// Runs a range of seeds and summarises them; shared by the command line and the tests.

import type { RaftFactory } from '../../src/raft/index.js';
import type { FaultProfile } from './profile.js';
import { simulate, type SimulationResult } from './simulator.js';

export interface SeedRunOptions {
  readonly firstSeed: number;
  readonly count: number;
  readonly raftFactory?: RaftFactory;
  readonly profile?: Partial<FaultProfile>;
  /** Stop at the first seed with a violation. */
  readonly stopAtFirstFailure?: boolean;
  /** Called after every seed (progress reporting). */
  readonly onResult?: (result: SimulationResult) => void;
}

export interface SeedRunSummary {
  readonly seeds: number;
  readonly failures: readonly SimulationResult[];
  readonly elapsedMs: number;
  /** Seeds whose linearizability search ran out of budget (inconclusive, not violations). */
  readonly inconclusive: number;
  readonly operations: number;
  /** Reads confirmed by a lease (the rest of the ReadIndex reads took a quorum round). */
  readonly leaseReads: number;
}

export function runSeeds(options: SeedRunOptions): SeedRunSummary {
  const failures: SimulationResult[] = [];
  let inconclusive = 0;
  let operations = 0;
  let leaseReads = 0;
  let seeds = 0;
  const started = performance.now();
  for (let seed = options.firstSeed; seed < options.firstSeed + options.count; seed++) {
    const result = simulate({
      seed,
      ...(options.raftFactory === undefined ? {} : { raftFactory: options.raftFactory }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
    seeds++;
    operations += result.stats.workload.completed + result.stats.workload.unknown;
    leaseReads += result.stats.readsByLease;
    if (result.stats.linearizability === 'unknown') inconclusive++;
    if (result.violations.length > 0) failures.push(result);
    options.onResult?.(result);
    if (options.stopAtFirstFailure === true && failures.length > 0) break;
  }
  return { seeds, failures, elapsedMs: performance.now() - started, inconclusive, operations, leaseReads };
}
