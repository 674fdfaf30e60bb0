// The durable log seen through the Raft core's Storage interface. The core reads its log through this
// adapter; the node's Ready loop writes through DurableLog.persist and tells the adapter about snapshots.
import {
  CompactedError,
  type ConfState,
  type Entry,
  type EntryType,
  type InitialState,
  type SnapshotMetadata,
  type Storage,
  UnavailableError,
} from '../raft/index.js';
import type { DurableLog } from './durable-log.js';
import type { HardState, LogEntry } from './types.js';

// Entry types are stored as one byte; the numbers are part of the on-disk format and never change.
const kindOfType: Readonly<Record<EntryType, number>> = { normal: 0, confChange: 1, noop: 2 };
const typeOfKind: readonly EntryType[] = ['normal', 'confChange', 'noop'];

export function toLogEntry(entry: Entry): LogEntry {
  return { index: entry.index, term: entry.term, kind: kindOfType[entry.type], data: entry.data };
}

export function fromLogEntry(entry: LogEntry): Entry {
  const type = typeOfKind[entry.kind];
  if (type === undefined) throw new Error(`log entry ${entry.index} has unknown kind ${entry.kind}`);
  return { index: entry.index, term: entry.term, type, data: entry.data };
}

/** The configuration stored beside a snapshot's data, as JSON so that an operator can read it. */
export function encodeConfState(confState: ConfState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ voters: confState.voters, learners: confState.learners }));
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('snapshot configuration is not an object');
  const { voters, learners } = parsed as { voters?: unknown; learners?: unknown };
  const isIds = (v: unknown): v is string[] => Array.isArray(v) && v.every((id) => typeof id === 'string');
  if (!isIds(voters) || !isIds(learners)) throw new Error('snapshot configuration lists are not node ids');
  return { voters, learners };
}

export class DiskRaftStorage implements Storage {
  /**
   * The hard state the application last accepted from the core. A change of commit index alone needs no
   * fsync (it is recomputed after a restart), so the application may write it later, with the next
   * entries; until then the log's own hard state lags this one by its commit index only.
   */
  private accepted: HardState | undefined;

  constructor(
    private readonly log: DurableLog,
    private latestSnapshot: SnapshotMetadata,
  ) {}

  initialState(): InitialState {
    return { hardState: this.accepted ?? this.log.hardState(), confState: this.latestSnapshot.confState };
  }

  /** Records the hard state of a Ready, written to the log now or (commit alone) with the next write. */
  acceptHardState(hardState: HardState): void {
    this.accepted = hardState;
  }

  entries(lo: number, hi: number, bytesMax: number): Entry[] {
    if (lo < this.log.firstIndex()) throw new CompactedError(lo, this.log.firstIndex());
    if (hi > this.log.lastIndex() + 1) throw new UnavailableError(hi - 1, this.log.lastIndex());
    if (lo >= hi) return [];
    return this.log.entries(lo, hi, bytesMax).map(fromLogEntry);
  }

  term(index: number): number {
    if (index === this.latestSnapshot.index) return this.latestSnapshot.term;
    if (index < this.log.firstIndex() - 1) throw new CompactedError(index, this.log.firstIndex());
    if (index > this.log.lastIndex()) throw new UnavailableError(index, this.log.lastIndex());
    const term = this.log.term(index);
    if (term === undefined) throw new CompactedError(index, this.log.firstIndex());
    return term;
  }

  firstIndex(): number {
    return this.log.firstIndex();
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  snapshot(): SnapshotMetadata {
    return this.latestSnapshot;
  }

  /** Records that a snapshot at `metadata.index` is now stored (and the log may be compacted up to it). */
  setSnapshot(metadata: SnapshotMetadata): void {
    this.latestSnapshot = metadata;
  }

  /**
   * The entries of a Ready in the log's form, without any the log has already compacted: a snapshot
   * holds those, and the log refuses to rewrite them.
   */
  appendable(entries: readonly Entry[]): LogEntry[] {
    const compactedThrough = this.log.firstIndex() - 1;
    return entries.filter((entry) => entry.index > compactedThrough).map(toLogEntry);
  }

  /** Drops log entries up to `index`, which must not pass the latest snapshot: nothing else holds them. */
  async compact(index: number): Promise<void> {
    if (index > this.latestSnapshot.index) {
      throw new RangeError(
        `cannot compact the log through ${index}: the latest snapshot ends at ${this.latestSnapshot.index}`,
      );
    }
    const term = this.term(index);
    await this.log.compact(index, term);
  }
}
