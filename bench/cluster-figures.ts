// Turns the cluster measurements into figures, the subject's each compared with rqlited's figure of the
// same name from the same run, and into notes: how each database was filled, memory series, and for each
// of the project's cluster targets whether the subject meets it and by how much it misses.
import { baselineSystem, type ClusterMeasured, type ClusterSettings } from './cluster-settings.js';
import { clusterLoads, type ClusterLoadKind } from './cluster-subject.js';
import { compare, type Comparison, type Figure } from './figures.js';
import { summarizeLatencies } from './latency.js';
import type { LoadTally } from './loadgen.js';
import type { GroupOutcome } from './single.js';

const kilobytesPerMegabyte = 1024;
const bytesPerMegabyte = 1024 * 1024;

const unitOf: Readonly<Record<ClusterLoadKind, string>> = {
  insert: 'writes/s',
  'read-linearizable': 'reads/s',
  'read-strong': 'reads/s',
};

/** The targets the cluster figures are held to. */
export const clusterTargets = {
  insertsAt64ClientsTimesBaseline: 2,
  singleClientWriteP50MsMax: 1.5,
  batchRowsPerSecondMin: 100_000,
  linearizableReadsPerSecondMin: 5000,
  memberRssMegabytesBelow: 150,
} as const;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The leader first, then the followers. */
function roleOrder(role: string): number {
  return role === 'leader' ? 0 : 1;
}

function megabytes(kilobytes: number): number {
  return kilobytes / kilobytesPerMegabyte;
}

/** Collects figures by name, so that the subject's can be compared with the baseline's printed before. */
class FigureBook {
  readonly figures: Figure[] = [];
  private readonly byName = new Map<string, Figure>();

  add(name: string, value: number | undefined, unit: string, baselineName?: string): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const comparison: Comparison | undefined =
      baselineName === undefined ? undefined : compare(value, this.byName.get(baselineName));
    const figure: Figure =
      comparison === undefined ? { name, value, unit } : { name, value, unit, comparisons: [comparison] };
    this.figures.push(figure);
    this.byName.set(name, figure);
  }

  value(name: string): number | undefined {
    return this.byName.get(name)?.value;
  }
}

/** The verdict on one target, in a sentence: met (with the margin), or missed (with the shortfall). */
export function judgeTarget(
  what: string,
  value: number | undefined,
  bound: number,
  direction: 'at-least' | 'at-most' | 'below',
  format: (value: number) => string,
): string {
  const wanted = `${direction === 'at-least' ? 'at least' : direction === 'at-most' ? 'at most' : 'below'} ${format(bound)}`;
  if (value === undefined) return `${what} ${wanted}: not measured`;
  const met =
    direction === 'at-least' ? value >= bound : direction === 'at-most' ? value <= bound : value < bound;
  if (direction === 'at-least') {
    return met
      ? `${what} ${wanted}: ${format(value)}, met (${(value / bound).toFixed(2)}x the target)`
      : `${what} ${wanted}: ${format(value)}, missed by ${Math.round((1 - value / bound) * 100)}% (${(value / bound).toFixed(2)}x the target)`;
  }
  return met
    ? `${what} ${wanted}: ${format(value)}, met`
    : `${what} ${wanted}: ${format(value)}, missed by ${Math.round((value / bound - 1) * 100)}% (${(value / bound).toFixed(2)}x the target)`;
}

const rounded = (digits: number, unit: string) => (value: number) => `${value.toFixed(digits)}${unit}`;

function targetNotes(
  book: FigureBook,
  subject: string,
  batchName: string,
  memberRoles: readonly string[],
): string[] {
  const name = (suffix: string): string => `cluster.${subject}.${suffix}`;
  const inserts = book.value(name('insert-64-clients'));
  const baselineInserts = book.value(`cluster.${baselineSystem}.insert-64-clients`);
  const insertRatio =
    inserts !== undefined && baselineInserts !== undefined && baselineInserts > 0
      ? inserts / baselineInserts
      : undefined;
  const lines = [
    judgeTarget(
      `${subject} insert-64-clients ÷ ${baselineSystem}`,
      insertRatio,
      clusterTargets.insertsAt64ClientsTimesBaseline,
      'at-least',
      rounded(2, 'x'),
    ),
    judgeTarget(
      `${subject} insert-1-client p50`,
      book.value(name('insert-1-client.p50')),
      clusterTargets.singleClientWriteP50MsMax,
      'at-most',
      rounded(2, ' ms'),
    ),
    judgeTarget(
      `${subject} batch`,
      book.value(name(batchName)),
      clusterTargets.batchRowsPerSecondMin,
      'at-least',
      rounded(0, ' rows/s'),
    ),
    judgeTarget(
      `${subject} read-linearizable-64-clients`,
      book.value(name('read-linearizable-64-clients')),
      clusterTargets.linearizableReadsPerSecondMin,
      'at-least',
      rounded(0, ' reads/s'),
    ),
  ];
  for (const role of memberRoles) {
    const highest = Math.max(
      book.value(name(`${role}.rss-max`)) ?? Number.NaN,
      book.value(name(`${role}.rss-peak`)) ?? Number.NaN,
    );
    lines.push(
      judgeTarget(
        `${subject} ${role} RSS (highest of VmRSS and VmHWM)`,
        Number.isNaN(highest) ? undefined : highest,
        clusterTargets.memberRssMegabytesBelow,
        'below',
        rounded(0, ' MB'),
      ),
    );
  }
  return lines.map((line) => `cluster target: ${line}`);
}

export function composeClusterFigures(measured: ClusterMeasured, settings: ClusterSettings): GroupOutcome {
  const book = new FigureBook();
  const notes: string[] = [];
  const cpuNotes: string[] = [];
  let failures = 0;
  const batchName = `batch-${settings.batchRows}-rows`;
  // The loads in the order the memory sampler closed them.
  const loadNames = [...clusterLoads.map((load) => load.name), 'batches'];

  for (const system of measured.systems) {
    const isBaseline = system === baselineSystem;
    const figureName = (suffix: string): string => `cluster.${system}.${suffix}`;
    const baselineOf = (suffix: string): string | undefined =>
      isBaseline ? undefined : `cluster.${baselineSystem}.${suffix}`;
    const countFailures = (
      figure: string,
      failed: number,
      samples: readonly { request: string; reason: string }[],
    ): void => {
      if (failed === 0) return;
      failures += failed;
      book.add(`${figure}.errors`, failed, 'requests');
      for (const sample of samples) notes.push(`${figure} failed: ${sample.request} -> ${sample.reason}`);
    };

    // Processor time per request of the three members together, and in a note each member's share.
    const addCpu = (load: string): void => {
      const cpu = measured.cpu.get(system)?.get(load);
      if (cpu === undefined || cpu.requests === 0) return;
      const perRequest = (milliseconds: number): number => milliseconds / cpu.requests;
      let membersMs = 0;
      for (const milliseconds of cpu.membersMs.values()) membersMs += milliseconds;
      book.add(figureName(`${load}.cpu`), perRequest(membersMs), 'ms/request', baselineOf(`${load}.cpu`));
      const shares = [...cpu.membersMs]
        .sort(([a], [b]) => roleOrder(a) - roleOrder(b) || a.localeCompare(b))
        .map(([role, milliseconds]) => `${role} ${perRequest(milliseconds).toFixed(3)}`);
      cpuNotes.push(
        `cluster.${system}.${load} processor ms per request: ${shares.join(', ')}; load generator ${perRequest(cpu.loadGeneratorMs).toFixed(3)}`,
      );
    };
    const tallies = measured.tallies.get(system) ?? new Map<string, LoadTally>();
    for (const load of clusterLoads) {
      const tally = tallies.get(load.name);
      if (tally === undefined) continue;
      const latency = summarizeLatencies(tally.latenciesMs);
      const rate = tally.seconds > 0 ? tally.succeeded / tally.seconds : undefined;
      book.add(figureName(load.name), rate, unitOf[load.kind], baselineOf(load.name));
      book.add(figureName(`${load.name}.p50`), latency.p50Ms, 'ms', baselineOf(`${load.name}.p50`));
      book.add(figureName(`${load.name}.p99`), latency.p99Ms, 'ms', baselineOf(`${load.name}.p99`));
      addCpu(load.name);
      countFailures(figureName(load.name), tally.failed + tally.abandoned, tally.failureSamples);
      if (tally.abandoned > 0) {
        notes.push(`${figureName(load.name)}: ${tally.abandoned} requests unanswered at the hard deadline`);
      }
    }

    const batchSeconds = median(measured.batchSeconds.get(system) ?? []);
    if (batchSeconds !== undefined) {
      book.add(figureName(batchName), settings.batchRows / batchSeconds, 'rows/s', baselineOf(batchName));
      book.add(figureName(`${batchName}.median`), batchSeconds * 1000, 'ms');
      addCpu(batchName);
    }
    const batchFailures = measured.batchFailures.get(system) ?? [];
    countFailures(figureName(batchName), batchFailures.length, batchFailures);

    const members = measured.memory
      .filter((member) => member.system === system)
      .sort((a, b) => roleOrder(a.role) - roleOrder(b.role) || a.role.localeCompare(b.role));
    for (const member of members) {
      const role = member.role;
      const sampled = member.sampledMaxKilobytes;
      const peak = member.peakKilobytes;
      book.add(
        figureName(`${role}.rss-max`),
        sampled === undefined ? undefined : megabytes(sampled),
        'MB',
        baselineOf(`${role}.rss-max`),
      );
      book.add(
        figureName(`${role}.rss-peak`),
        peak === undefined ? undefined : megabytes(peak),
        'MB',
        baselineOf(`${role}.rss-peak`),
      );
      notes.push(
        `cluster.${system}.${role} highest RSS during ${loadNames.join(', ')}: ${member.highestPerLoadKilobytes.map((kilobytes) => Math.round(megabytes(kilobytes))).join(', ')} MB`,
      );
    }

    const fill = measured.fills.get(system);
    const after = measured.databaseBytesAfter.get(system);
    if (fill !== undefined) {
      notes.push(
        `cluster.${system}: filled by ${fill.requests} request(s) in ${fill.seconds.toFixed(1)} s; database ${(fill.databaseBytes / bytesPerMegabyte).toFixed(1)} MB before the loads${after === undefined ? '' : `, ${(after / bytesPerMegabyte).toFixed(1)} MB after`}`,
      );
    }
    notes.push(...cpuNotes.splice(0));
    if (!isBaseline) {
      notes.push(
        ...targetNotes(
          book,
          system,
          batchName,
          members.map((member) => member.role),
        ),
      );
    }
  }

  notes.push(
    `cluster: rqlited 8.26.8 has no level=linearizable and serves it as level=weak (the leader reads its own database without asking a quorum); its only read with that guarantee is level=strong, which goes through the log`,
    ...measured.notes,
  );
  return { figures: book.figures, failures, notes };
}
