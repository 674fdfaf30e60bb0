// The cluster group: a three-node cluster of the subject (dustd on disk by default) beside a three-node
// rqlited cluster, both on 127.0.0.1, both filled to the same database size first, then loaded through
// their leaders with the same requests. As in the single-node group, every load is measured in rounds
// that take turns between the two clusters, so that a shared machine's drift falls on both alike.
//
// A cluster that does not form within its bound skips the group with a note instead of hanging, and
// every server started here is stopped by its PID on every way out.
import { emptyCpuTally, mergeCpuTallies, type CpuTally } from './cluster-cpu.js';
import { BenchCluster, ClusterFormationError } from './cluster-members.js';
import { composeClusterFigures } from './cluster-figures.js';
import { MemorySampler, type MemberMemory } from './cluster-memory.js';
import { clusterLoads, ClusterSubject } from './cluster-subject.js';
import { fillRequestsFor } from './cluster-workloads.js';
import {
  baselineSystem,
  subjectSystemName,
  type ClusterMeasured,
  type ClusterSettings,
} from './cluster-settings.js';
import { emptyTally, mergeTallies, type LoadTally } from './loadgen.js';
import {
  makeScratchDirectory,
  removeScratchDirectory,
  rqlitedAvailable,
  type ServerKind,
} from './servers.js';
import type { GroupOutcome } from './single.js';

export async function benchCluster(
  settings: ClusterSettings,
  progress: (line: string) => void,
): Promise<GroupOutcome> {
  if (!rqlitedAvailable()) {
    return { figures: [], failures: 0, notes: ['cluster: skipped, rqlited is not installed here'] };
  }
  const parentDir = makeScratchDirectory('dust-bench-cluster-');
  const clusters: BenchCluster[] = [];
  try {
    // The subject forms first: it is the one most likely not to, and then rqlited need not start at all.
    const order: Array<[string, ServerKind]> = [
      [subjectSystemName(settings.subject), settings.subject],
      [baselineSystem, 'rqlited'],
    ];
    for (const [system, kind] of order) {
      progress(`cluster: starting a ${system} cluster of 3 nodes`);
      try {
        clusters.push(await BenchCluster.form(system, kind, parentDir, settings.formationTimeoutMs));
      } catch (error) {
        if (!(error instanceof ClusterFormationError)) throw error;
        return { figures: [], failures: 0, notes: [`cluster: skipped: ${error.message}`] };
      }
    }
    // Loads take turns with the baseline first, as the figures are printed.
    clusters.reverse();
    const subjects = clusters.map((cluster) => new ClusterSubject(cluster));
    const measured = await measureAll(subjects, settings, progress);
    return composeClusterFigures(measured, settings);
  } finally {
    for (const cluster of clusters) await cluster.stop();
    removeScratchDirectory(parentDir);
  }
}

async function measureAll(
  subjects: readonly ClusterSubject[],
  settings: ClusterSettings,
  progress: (line: string) => void,
): Promise<ClusterMeasured> {
  const systems = subjects.map((subject) => subject.name);
  const measured: ClusterMeasured = {
    systems,
    tallies: new Map(systems.map((system) => [system, new Map<string, LoadTally>()])),
    cpu: new Map(systems.map((system) => [system, new Map<string, CpuTally>()])),
    batchSeconds: new Map(systems.map((system) => [system, []])),
    batchFailures: new Map(systems.map((system) => [system, []])),
    fills: new Map(),
    databaseBytesAfter: new Map(),
    memory: [],
    notes: [],
  };

  const batchLoadName = `batch-${settings.batchRows}-rows`;
  const fillRequests = fillRequestsFor(settings.fillBytes);
  for (const subject of subjects) {
    progress(`cluster: ${subject.name}: tables, then ${fillRequests} filling request(s) of about 1 MB`);
    await subject.prepare();
    const fill = await subject.fill(fillRequests);
    measured.fills.set(subject.name, { ...fill, databaseBytes: await subject.databaseBytes() });
  }

  const sampler = new MemorySampler(subjects.map((subject) => subject.cluster));
  let memory: readonly MemberMemory[] = [];
  sampler.start();
  const phase = {
    warmupMs: settings.warmupMs,
    durationMs: Math.max(1, Math.round(settings.durationMs / settings.rounds)),
  };
  try {
    for (const load of clusterLoads) {
      progress(`cluster: ${load.name}, ${settings.rounds} round(s) of ${phase.durationMs} ms per cluster`);
      for (let round = 0; round < settings.rounds; round++) {
        for (const subject of subjects) {
          const { tally, cpu } = await subject.run(load, phase);
          const byLoad = measured.tallies.get(subject.name);
          byLoad?.set(load.name, mergeTallies(byLoad.get(load.name) ?? emptyTally, tally));
          const cpuByLoad = measured.cpu.get(subject.name);
          cpuByLoad?.set(load.name, mergeCpuTallies(cpuByLoad.get(load.name) ?? emptyCpuTally, cpu));
        }
      }
      sampler.markLoadEnd();
    }

    progress(`cluster: ${settings.batchRepeats} batch(es) of ${settings.batchRows} rows per cluster`);
    for (let repeat = 0; repeat < settings.batchRepeats; repeat++) {
      for (const subject of subjects) {
        const { outcome, cpu } = await subject.batch(settings.batchRows);
        if ('seconds' in outcome) measured.batchSeconds.get(subject.name)?.push(outcome.seconds);
        else measured.batchFailures.get(subject.name)?.push(outcome.failure);
        const cpuByLoad = measured.cpu.get(subject.name);
        cpuByLoad?.set(batchLoadName, mergeCpuTallies(cpuByLoad.get(batchLoadName) ?? emptyCpuTally, cpu));
      }
    }
    sampler.markLoadEnd();
  } finally {
    memory = sampler.stop();
  }

  for (const subject of subjects) {
    measured.databaseBytesAfter.set(subject.name, await subject.databaseBytes());
    const now = await subject.cluster.currentLeader();
    if ('problem' in now) {
      measured.notes.push(`cluster.${subject.name}: after the loads the members disagree: ${now.problem}`);
    } else if (now.leaderId !== subject.cluster.leaderId) {
      measured.notes.push(
        `cluster.${subject.name}: the leader changed from node ${subject.cluster.leaderId} to node ${now.leaderId} during the loads; requests after the change were forwarded or refused`,
      );
    }
  }
  return { ...measured, memory };
}
