// Latency samples and the percentiles drawn from them. Samples are kept whole (not bucketed) because a
// benchmark run is bounded in count, and exact percentiles are easier to trust than a histogram's.

/** The latencies of one measured load, in milliseconds, sorted ascending. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly maxMs: number | undefined;
}

/**
 * The nearest-rank percentile of sorted values: the smallest value such that at least `fraction` of
 * all values are at or below it. Undefined for no values, since there is no honest answer then.
 */
export function percentile(sortedValues: readonly number[], fraction: number): number | undefined {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`a percentile fraction must be between 0 and 1, not ${fraction}`);
  }
  if (sortedValues.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil(fraction * sortedValues.length));
  return sortedValues[rank - 1];
}

/** Sorts a copy of the samples and summarizes them; the samples may arrive in any order. */
export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const values = Array.from(sorted);
  return {
    count: values.length,
    p50Ms: percentile(values, 0.5),
    p99Ms: percentile(values, 0.99),
    maxMs: values.at(-1),
  };
}
