// The single-node group: one dustd in memory, one on disk, optionally one rqlited, and the HTTP floor
// server, each started by the benchmark, loaded over HTTP with small INSERTs, 10,000-row batches and
// point reads, beside better-sqlite3 doing the same work in this process. Shared machines drift, so every
// load is measured in rounds that take turns between the subjects, and each subject's rounds are summed.

import type { Figure } from './figures.js';
import { emptyTally, mergeTallies, type FailureSample, type LoadTally } from './loadgen.js';
import { composeFigures } from './single-figures.js';
import {
  BenchServer,
  makeScratchDirectory,
  removeScratchDirectory,
  rqlitedAvailable,
  type ServerKind,
} from './servers.js';
import { SqliteBaseline } from './sqlite-baseline.js';
import { ServerSubject, singleLoads, sqliteLoadName, SqliteSubject, type Subject } from './subjects.js';

export interface SingleSettings {
  /** Measured time per load and subject, over all rounds. */
  readonly durationMs: number;
  readonly rounds: number;
  /** Unmeasured time before each round's measurement. */
  readonly warmupMs: number;
  readonly batchRows: number;
  readonly batchRepeats: number;
  readonly includeRqlited: boolean;
}

export interface GroupOutcome {
  readonly figures: Figure[];
  /** Failed requests, with a few samples; any failure means a figure cannot be trusted. */
  readonly failures: number;
  readonly notes: string[];
}

export async function benchSingle(
  settings: SingleSettings,
  progress: (line: string) => void,
): Promise<GroupOutcome> {
  const notes: string[] = [];
  const kinds: ServerKind[] = ['http-floor', 'dustd-memory', 'dustd-disk'];
  if (settings.includeRqlited && rqlitedAvailable()) kinds.push('rqlited');
  else if (settings.includeRqlited) notes.push('rqlited is not installed here: measured without it');

  const parentDir = makeScratchDirectory('dust-bench-single-');
  const servers: BenchServer[] = [];
  let baseline: SqliteBaseline | undefined;
  try {
    baseline = SqliteBaseline.open(parentDir);
    const subjects: Subject[] = [new SqliteSubject(baseline)];
    for (const kind of kinds) {
      progress(`single: starting ${kind}`);
      const server = await BenchServer.start(kind, parentDir);
      servers.push(server);
      const subject = new ServerSubject(server);
      await subject.prepare();
      subjects.push(subject);
    }
    const measured = await measureAll(subjects, servers, settings, progress);
    const outcome = composeFigures(measured, servers, settings);
    return { ...outcome, notes: notes.concat(outcome.notes) };
  } finally {
    for (const server of servers) await server.stop();
    baseline?.close();
    removeScratchDirectory(parentDir);
  }
}

export interface Measured {
  /** Tallies by subject, then by load name (the baseline's by its own names). */
  readonly tallies: Map<string, Map<string, LoadTally>>;
  readonly batchSeconds: Map<string, number[]>;
  readonly batchFailures: Map<string, FailureSample[]>;
  /** Resident memory of each server after each load, in kilobytes. */
  readonly rssAfterLoads: Map<string, number[]>;
}

async function measureAll(
  subjects: readonly Subject[],
  servers: readonly BenchServer[],
  settings: SingleSettings,
  progress: (line: string) => void,
): Promise<Measured> {
  const measured: Measured = {
    tallies: new Map(subjects.map((subject) => [subject.name, new Map<string, LoadTally>()])),
    batchSeconds: new Map(subjects.map((subject) => [subject.name, []])),
    batchFailures: new Map(subjects.map((subject) => [subject.name, []])),
    rssAfterLoads: new Map(servers.map((server) => [server.kind, []])),
  };
  const recordMemory = (): void => {
    for (const server of servers) {
      const memory = server.memory();
      if (memory !== undefined) measured.rssAfterLoads.get(server.kind)?.push(memory.rssKilobytes);
    }
  };
  const phase = {
    warmupMs: settings.warmupMs,
    durationMs: Math.max(1, Math.round(settings.durationMs / settings.rounds)),
  };

  for (const load of singleLoads) {
    progress(`single: ${load.name}, ${settings.rounds} round(s) of ${phase.durationMs} ms per subject`);
    for (let round = 0; round < settings.rounds; round++) {
      for (const subject of subjects) {
        const tally = await subject.run(load, phase);
        const byLoad = measured.tallies.get(subject.name);
        const key = subject instanceof SqliteSubject ? sqliteLoadName[load.kind] : load.name;
        byLoad?.set(key, mergeTallies(byLoad.get(key) ?? emptyTally, tally));
      }
    }
    recordMemory();
  }

  progress(`single: ${settings.batchRepeats} batch(es) of ${settings.batchRows} rows per subject`);
  for (let repeat = 0; repeat < settings.batchRepeats; repeat++) {
    for (const subject of subjects) {
      const outcome = await subject.batch(settings.batchRows);
      if ('seconds' in outcome) measured.batchSeconds.get(subject.name)?.push(outcome.seconds);
      else measured.batchFailures.get(subject.name)?.push(outcome.failure);
    }
  }
  recordMemory();
  return measured;
}
