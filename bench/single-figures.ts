// Turns the single-node measurements into figures, each compared with the baselines that make sense for
// it: every server with better-sqlite3 (the same work in-process), and dustd also with rqlited (the
// product it is compatible with) and with the HTTP floor (the most a Node HTTP server can do here).
import { compare, type Comparison, type Figure } from './figures.js';
import { summarizeLatencies } from './latency.js';
import type { LoadTally } from './loadgen.js';
import type { BenchServer } from './servers.js';
import type { GroupOutcome, Measured, SingleSettings } from './single.js';
import { singleLoads, sqliteLoadName, type LoadSpec } from './subjects.js';

const kilobytesPerMegabyte = 1024;

/** What each subject is compared with, in the order the ratios are printed. */
const baselinesOf: Readonly<Record<string, readonly string[]>> = {
  sqlite: [],
  'http-floor': ['sqlite'],
  rqlited: ['sqlite'],
  'dustd-memory': ['sqlite', 'rqlited', 'http-floor'],
  'dustd-disk': ['sqlite', 'rqlited', 'http-floor'],
};

/** Subjects in print order: every baseline before the subjects compared with it. */
const printOrder: readonly string[] = ['sqlite', 'http-floor', 'rqlited', 'dustd-memory', 'dustd-disk'];

type Measure = 'rate' | 'p50' | 'p99';

const unitOf: Readonly<Record<LoadSpec['kind'], string>> = {
  insert: 'writes/s',
  'read-weak': 'reads/s',
  'read-none': 'reads/s',
};

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function figureName(subject: string, load: string, measure: Measure): string {
  return `single.${subject}.${load}${measure === 'rate' ? '' : `.${measure}`}`;
}

/**
 * The baseline figure for a subject's figure, or undefined when there is none to compare with. Latencies
 * of 64 clients are not compared with better-sqlite3's, which serves one caller at a time.
 */
function baselineFigureName(
  baseline: string,
  load: LoadSpec | 'batch',
  batchName: string,
  measure: Measure,
): string | undefined {
  if (load === 'batch') return measure === 'rate' ? figureName(baseline, batchName, measure) : undefined;
  if (baseline !== 'sqlite') return figureName(baseline, load.name, measure);
  if (measure !== 'rate' && load.clients !== 1) return undefined;
  return figureName(baseline, sqliteLoadName[load.kind], measure);
}

/** Collects figures by name so that later figures can be compared with earlier ones. */
class FigureBook {
  readonly figures: Figure[] = [];
  private readonly byName = new Map<string, Figure>();

  add(
    name: string,
    value: number | undefined,
    unit: string,
    baselineNames: ReadonlyArray<string | undefined>,
  ): void {
    if (value === undefined) return;
    const comparisons: Comparison[] = [];
    for (const baselineName of baselineNames) {
      const comparison =
        baselineName === undefined ? undefined : compare(value, this.byName.get(baselineName));
      if (comparison !== undefined) comparisons.push(comparison);
    }
    const figure: Figure =
      comparisons.length === 0 ? { name, value, unit } : { name, value, unit, comparisons };
    this.figures.push(figure);
    this.byName.set(name, figure);
  }
}

export function composeFigures(
  measured: Measured,
  servers: readonly BenchServer[],
  settings: SingleSettings,
): GroupOutcome {
  const book = new FigureBook();
  const notes: string[] = [];
  let failures = 0;
  const batchName = `batch-${settings.batchRows}-rows`;
  const present = new Set(['sqlite', ...servers.map((server) => server.kind)]);

  for (const subject of printOrder.filter((name) => present.has(name))) {
    const baselines = (baselinesOf[subject] ?? []).filter((name) => present.has(name));
    const baselineNames = (load: LoadSpec | 'batch', measure: Measure): Array<string | undefined> =>
      baselines.map((baseline) => baselineFigureName(baseline, load, batchName, measure));
    const tallies = measured.tallies.get(subject) ?? new Map<string, LoadTally>();
    const countFailures = (figure: string, tally: LoadTally): void => {
      if (tally.failed === 0 && tally.abandoned === 0) return;
      failures += tally.failed + tally.abandoned;
      book.add(`${figure}.errors`, tally.failed + tally.abandoned, 'requests', []);
      for (const sample of tally.failureSamples)
        notes.push(`${figure} failed: ${sample.request} -> ${sample.reason}`);
      if (tally.abandoned > 0)
        notes.push(`${figure}: ${tally.abandoned} requests unanswered at the hard deadline`);
    };

    if (subject === 'sqlite') {
      for (const [name, unit] of [
        ['insert', 'writes/s'],
        ['point-read', 'reads/s'],
      ] as const) {
        const tally = tallies.get(name);
        if (tally === undefined) continue;
        const latency = summarizeLatencies(tally.latenciesMs);
        book.add(
          figureName(subject, name, 'rate'),
          tally.seconds > 0 ? tally.succeeded / tally.seconds : undefined,
          unit,
          [],
        );
        book.add(figureName(subject, name, 'p50'), latency.p50Ms, 'ms', []);
        book.add(figureName(subject, name, 'p99'), latency.p99Ms, 'ms', []);
      }
    } else {
      for (const load of singleLoads) {
        const tally = tallies.get(load.name);
        if (tally === undefined) continue;
        const latency = summarizeLatencies(tally.latenciesMs);
        const rate = tally.seconds > 0 ? tally.succeeded / tally.seconds : undefined;
        book.add(
          figureName(subject, load.name, 'rate'),
          rate,
          unitOf[load.kind],
          baselineNames(load, 'rate'),
        );
        book.add(figureName(subject, load.name, 'p50'), latency.p50Ms, 'ms', baselineNames(load, 'p50'));
        book.add(figureName(subject, load.name, 'p99'), latency.p99Ms, 'ms', baselineNames(load, 'p99'));
        countFailures(figureName(subject, load.name, 'rate'), tally);
      }
    }

    const batchSeconds = median(measured.batchSeconds.get(subject) ?? []);
    const batchFigure = figureName(subject, batchName, 'rate');
    if (batchSeconds !== undefined) {
      book.add(batchFigure, settings.batchRows / batchSeconds, 'rows/s', baselineNames('batch', 'rate'));
      book.add(`${batchFigure}.median`, batchSeconds * 1000, 'ms', []);
    }
    const batchFailures = measured.batchFailures.get(subject) ?? [];
    if (batchFailures.length > 0) {
      failures += batchFailures.length;
      book.add(`${batchFigure}.errors`, batchFailures.length, 'requests', []);
      for (const sample of batchFailures)
        notes.push(`${batchFigure} failed: ${sample.request} -> ${sample.reason}`);
    }

    const memory = servers.find((server) => server.kind === subject)?.memory();
    if (memory !== undefined) {
      const compared = subject.startsWith('dustd') && present.has('rqlited');
      book.add(
        `single.${subject}.rss`,
        memory.rssKilobytes / kilobytesPerMegabyte,
        'MB',
        compared ? ['single.rqlited.rss'] : [],
      );
      book.add(
        `single.${subject}.rss-peak`,
        memory.peakRssKilobytes / kilobytesPerMegabyte,
        'MB',
        compared ? ['single.rqlited.rss-peak'] : [],
      );
      const series = measured.rssAfterLoads.get(subject) ?? [];
      notes.push(
        `single.${subject} RSS after each load: ${series.map((kilobytes) => Math.round(kilobytes / kilobytesPerMegabyte)).join(', ')} MB`,
      );
    }
  }
  return { figures: book.figures, failures, notes };
}
