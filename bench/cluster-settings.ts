// What the cluster group is asked to do, and what it measured, shared by the group, its figures and the
// command line.
import type { CpuTally } from './cluster-cpu.js';
import type { FillOutcome } from './cluster-subject.js';
import type { MemberMemory } from './cluster-memory.js';
import type { FailureSample, LoadTally } from './loadgen.js';

/**
 * What is compared with rqlited: dustd on disk (the default), dustd in memory, or rqlited itself, which
 * shows how far apart two identical clusters measure on this machine.
 */
export const clusterSubjectKinds = ['dustd-disk', 'dustd-memory', 'rqlited'] as const;
export type ClusterSubjectKind = (typeof clusterSubjectKinds)[number];

export interface ClusterSettings {
  /** Measured time per load and cluster, over all rounds. */
  readonly durationMs: number;
  readonly rounds: number;
  /** Unmeasured time before each round's measurement. */
  readonly warmupMs: number;
  readonly batchRows: number;
  readonly batchRepeats: number;
  /** Row data written into each cluster before the loads, so that memory is measured beside a real database. */
  readonly fillBytes: number;
  /** How long the members may take to agree on their membership once all are ready. */
  readonly formationTimeoutMs: number;
  readonly subject: ClusterSubjectKind;
}

/** The name under which the subject's figures are printed; rqlited against itself needs a second name. */
export function subjectSystemName(subject: ClusterSubjectKind): string {
  return subject === 'rqlited' ? 'rqlited-again' : subject;
}

export const baselineSystem = 'rqlited';

export interface FillReport extends FillOutcome {
  readonly databaseBytes: number;
}

export interface ClusterMeasured {
  /** The baseline first, then the subject. */
  readonly systems: readonly string[];
  readonly tallies: Map<string, Map<string, LoadTally>>;
  /** Processor time per request, by system and load. */
  readonly cpu: Map<string, Map<string, CpuTally>>;
  readonly batchSeconds: Map<string, number[]>;
  readonly batchFailures: Map<string, FailureSample[]>;
  readonly fills: Map<string, FillReport>;
  readonly databaseBytesAfter: Map<string, number>;
  readonly memory: readonly MemberMemory[];
  /** Leader changes and other things a reader of the figures must know. */
  readonly notes: string[];
}
