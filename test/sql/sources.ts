// Deterministic stand-ins for the clock and the random source that the rewriter takes as inputs.
import type { RewriteOptions } from '../../src/sql/index.js';

/** 2026-11-22 10:00:00.123 UTC. */
export const fixedNowMs = Date.UTC(2026, 10, 22, 10, 0, 0, 123);

export interface RecordingSources extends RewriteOptions {
  /** How many times each source was read. */
  readonly reads: { int64: number; bytes: number; clock: number };
}

/**
 * Sources that hand out `integers` in turn (cycling), bytes 0x00, 0x01, 0x02... for each blob, and the
 * clock `nowMs`, counting every read.
 */
export function fixedSources(
  overrides: Partial<Pick<RewriteOptions, 'random' | 'time'>> & {
    integers?: readonly bigint[];
    nowMs?: number;
  } = {},
): RecordingSources {
  const integers = overrides.integers ?? [123n];
  const reads = { int64: 0, bytes: 0, clock: 0 };
  return {
    random: overrides.random ?? true,
    time: overrides.time ?? true,
    reads,
    randomInt64(): bigint {
      const value = integers[reads.int64 % integers.length]!;
      reads.int64++;
      return value;
    },
    randomBytes(n: number): Uint8Array {
      reads.bytes++;
      return Uint8Array.from({ length: n }, (_, index) => index % 256);
    },
    nowMs(): number {
      reads.clock++;
      return overrides.nowMs ?? fixedNowMs;
    },
  };
}

/**
 * Every property test in this folder runs from this seed, so a run repeats exactly. Set DUST_SQL_SEED to
 * explore other inputs, and DUST_SQL_RUNS_FACTOR to multiply the number of runs for a longer soak;
 * fast-check reports the seed and path of any failure so it can be replayed.
 */
export const propertySeed = Number(process.env['DUST_SQL_SEED'] ?? 20_261_122);
const runsFactor = Number(process.env['DUST_SQL_RUNS_FACTOR'] ?? 1);

/** fast-check parameters: `numRuns` runs (times the soak factor) from the folder's seed. */
export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: propertySeed, numRuns: Math.max(1, Math.round(numRuns * runsFactor)) };
}
