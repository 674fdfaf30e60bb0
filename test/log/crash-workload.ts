// A deterministic stream of log operations for crash tests, and a plain in-memory model of what they do. The
// process that writes and the process that checks both derive the same operations from the same seed and start
// state, so the checker knows exactly which states a crash may leave behind.
import assert from 'node:assert/strict';

import type { DurableLog } from '../../src/log/durable-log.js';
import type { HardState, LogEntry } from '../../src/log/types.js';
import { payload } from './helpers.js';

export type WorkloadOperation =
  | {
      readonly kind: 'persist';
      readonly snapshot?: { readonly index: number; readonly term: number };
      readonly entries: readonly LogEntry[];
      readonly hardState?: HardState;
    }
  | { readonly kind: 'compact'; readonly index: number; readonly term: number };

/** What the log should hold: the compaction point, every entry after it and the hard state. */
export class ModelLog {
  constructor(
    public baseIndex = 0,
    public baseTerm = 0,
    public entries: LogEntry[] = [],
    public hardState: HardState = { term: 0, vote: '', commit: 0 },
  ) {}

  get lastIndex(): number {
    return this.baseIndex + this.entries.length;
  }

  term(index: number): number {
    if (index === this.baseIndex) return this.baseTerm;
    const found = this.entries[index - this.baseIndex - 1];
    if (found === undefined) throw new Error(`model has no entry ${index}`);
    return found.term;
  }

  clone(): ModelLog {
    return new ModelLog(this.baseIndex, this.baseTerm, [...this.entries], this.hardState);
  }

  apply(operation: WorkloadOperation): void {
    const snapshot = operation.kind === 'compact' ? operation : operation.snapshot;
    if (snapshot !== undefined && snapshot.index > this.baseIndex) {
      const keep = snapshot.index <= this.lastIndex && this.term(snapshot.index) === snapshot.term;
      this.entries = keep ? this.entries.slice(snapshot.index - this.baseIndex) : [];
      this.baseIndex = snapshot.index;
      this.baseTerm = snapshot.term;
    }
    if (operation.kind === 'compact') return;
    const first = operation.entries[0];
    if (first !== undefined)
      this.entries = [...this.entries.slice(0, first.index - this.baseIndex - 1), ...operation.entries];
    if (operation.hardState !== undefined) this.hardState = operation.hardState;
  }

  /** Reads the whole state of an open log into a model (used to start from a recovered log). */
  static of(log: DurableLog): ModelLog {
    const base = log.firstIndex() - 1;
    const entries = log.lastIndex() > base ? log.entries(base + 1, log.lastIndex() + 1) : [];
    const baseTerm = log.term(base);
    if (baseTerm === undefined) throw new Error(`the log has no term for its compaction point ${base}`);
    return new ModelLog(base, baseTerm, entries, log.hardState());
  }

  /** Describes the first difference from `log`, or returns undefined when they are equal. */
  differenceFrom(log: DurableLog): string | undefined {
    if (log.firstIndex() !== this.baseIndex + 1)
      return `first index ${log.firstIndex()} != ${this.baseIndex + 1}`;
    if (log.lastIndex() !== this.lastIndex) return `last index ${log.lastIndex()} != ${this.lastIndex}`;
    if (log.term(this.baseIndex) !== this.baseTerm)
      return `base term ${log.term(this.baseIndex)} != ${this.baseTerm}`;
    try {
      assert.deepEqual(log.hardState(), this.hardState);
    } catch {
      return `hard state ${JSON.stringify(log.hardState())} != ${JSON.stringify(this.hardState)}`;
    }
    const actual = this.entries.length > 0 ? log.entries(this.baseIndex + 1, this.lastIndex + 1) : [];
    for (const [i, want] of this.entries.entries()) {
      const got = actual[i];
      if (got === undefined || got.index !== want.index || got.term !== want.term || got.kind !== want.kind) {
        return `entry ${want.index}: ${JSON.stringify(got && { ...got, data: got.data.byteLength })}`;
      }
      if (Buffer.compare(Buffer.from(got.data), Buffer.from(want.data)) !== 0)
        return `payload of entry ${want.index}`;
    }
    return undefined;
  }
}

/** mulberry32: a small seeded generator, good enough to draw workloads. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Operations valid for a log in state `start`, drawn from `seed`: appends of various sizes (some larger than a
 * page), rewrites of the uncommitted suffix under a new term, commit advances and compactions.
 */
export function* workload(seed: number, start: ModelLog): Generator<WorkloadOperation, never> {
  const random = seededRandom(seed);
  const model = start.clone();
  const below = (limit: number): number => Math.floor(random() * limit);
  let term = Math.max(
    model.hardState.term,
    model.entries[model.entries.length - 1]?.term ?? model.baseTerm,
    1,
  );
  for (;;) {
    const roll = random();
    let operation: WorkloadOperation;
    const payloadBytes = (): number => (random() < 0.05 ? 8000 + below(20_000) : below(1500));
    const makeEntries = (from: number, count: number): LogEntry[] =>
      Array.from({ length: count }, (_, i) => ({
        index: from + i,
        term,
        kind: below(256),
        data: payload(from + i, term, payloadBytes(), seed),
      }));
    const commit = model.hardState.commit;
    if (roll < 0.1 && model.lastIndex > Math.max(commit, model.baseIndex)) {
      // A new leader's entries replace the uncommitted suffix.
      term++;
      const low = Math.max(commit, model.baseIndex) + 1;
      const from = low + below(model.lastIndex - low + 1);
      operation = {
        kind: 'persist',
        entries: makeEntries(from, 1 + below(5)),
        hardState: { term, vote: `node-${below(5)}`, commit },
      };
    } else if (roll < 0.25 && model.lastIndex > commit) {
      operation = {
        kind: 'persist',
        entries: [],
        hardState: {
          ...model.hardState,
          term: Math.max(model.hardState.term, term),
          commit: commit + 1 + below(model.lastIndex - commit),
        },
      };
    } else if (roll < 0.28) {
      // A snapshot from a new leader, beyond the log's end, installed with the hard state that commits it and the
      // entries that follow it, in one update.
      term++;
      const index = model.lastIndex + 1 + below(5);
      operation = {
        kind: 'persist',
        snapshot: { index, term },
        entries: makeEntries(index + 1, below(3)),
        hardState: { term, vote: `node-${below(5)}`, commit: index },
      };
    } else if (roll < 0.33 && commit > model.baseIndex) {
      const index = model.baseIndex + 1 + below(commit - model.baseIndex);
      operation = { kind: 'compact', index, term: model.term(index) };
    } else {
      operation = { kind: 'persist', entries: makeEntries(model.lastIndex + 1, 1 + below(8)) };
    }
    model.apply(operation);
    yield operation;
  }
}

export function runOperation(log: DurableLog, operation: WorkloadOperation): Promise<void> {
  if (operation.kind === 'compact') return log.compact(operation.index, operation.term);
  const { snapshot, entries, hardState } = operation;
  return log.persist({
    entries,
    ...(snapshot === undefined ? {} : { snapshot }),
    ...(hardState === undefined ? {} : { hardState }),
  });
}
