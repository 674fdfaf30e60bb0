// Storage held in memory: the reference implementation of the Storage interface, used by tests and by
// the simulator (which treats it as the disk that survives crashes). Its write methods are the ones a
// durable log offers too: append with suffix truncation, hard state, snapshots and compaction.

import { ConfigurationHistory } from './configuration-history.js';
import {
  CompactedError,
  RaftInvariantError,
  RaftUsageError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors.js';
import type { InitialState, Storage } from './storage.js';
import {
  emptyConfState,
  emptyHardState,
  type ConfState,
  type Entry,
  type HardState,
  type SnapshotMetadata,
} from './types.js';

export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState;
  private latestSnapshot: SnapshotMetadata;
  // The log holds entries compactedIndex + 1 .. compactedIndex + log.length.
  private compactedIndex = 0;
  private compactedTerm = 0;
  private log: Entry[] = [];

  /** `bootstrap` is the initial configuration of a new cluster; empty for a node that will join one. */
  constructor(bootstrap: ConfState = emptyConfState) {
    this.latestSnapshot = { index: 0, term: 0, confState: bootstrap };
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.latestSnapshot.confState };
  }

  firstIndex(): number {
    return this.compactedIndex + 1;
  }

  lastIndex(): number {
    return this.compactedIndex + this.log.length;
  }

  term(index: number): number {
    if (index === this.compactedIndex) return this.compactedTerm;
    if (index < this.compactedIndex) throw new CompactedError(index, this.firstIndex());
    const entry = this.log[index - this.compactedIndex - 1];
    if (entry === undefined) throw new UnavailableError(index, this.lastIndex());
    return entry.term;
  }

  entries(lo: number, hi: number, bytesMax: number): Entry[] {
    if (lo <= this.compactedIndex) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = lo; index < hi; index++) {
      const entry = this.log[index - this.compactedIndex - 1] as Entry;
      bytes += entry.data.byteLength;
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  snapshot(): SnapshotMetadata {
    return this.latestSnapshot;
  }

  hardStateNow(): HardState {
    return this.hardState;
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /**
   * Appends contiguous entries. Entries at or before the last index replace the log from their index on
   * (Raft's rule for a conflicting suffix); entries already compacted are ignored.
   */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i] as Entry).index !== first.index + i) {
        throw new RaftInvariantError(`appended entries are not contiguous at position ${i}`);
      }
    }
    if (first.index > this.lastIndex() + 1) {
      throw new RaftInvariantError(
        `append at ${first.index} leaves a gap after last index ${this.lastIndex()}`,
      );
    }
    const skip = Math.max(0, this.compactedIndex + 1 - first.index);
    if (skip >= entries.length) return;
    const keep = first.index + skip - this.compactedIndex - 1;
    this.log.length = keep;
    for (let i = skip; i < entries.length; i++) this.log.push(entries[i] as Entry);
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snapshot: SnapshotMetadata): void {
    if (snapshot.index <= this.latestSnapshot.index) {
      throw new SnapshotOutOfDateError(snapshot.index, this.latestSnapshot.index);
    }
    this.latestSnapshot = snapshot;
    this.compactedIndex = snapshot.index;
    this.compactedTerm = snapshot.term;
    this.log = [];
  }

  /**
   * Records that the application took a snapshot of its state machine at `index` (every entry up to it
   * applied). The configuration at that index is computed from the log. Returns the metadata to store
   * beside the snapshot's data.
   */
  createSnapshot(index: number): SnapshotMetadata {
    if (index <= this.latestSnapshot.index)
      throw new SnapshotOutOfDateError(index, this.latestSnapshot.index);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const history = new ConfigurationHistory(this.latestSnapshot.index, this.latestSnapshot.confState);
    history.recordAppended(this.entries(this.latestSnapshot.index + 1, index + 1, Number.POSITIVE_INFINITY));
    this.latestSnapshot = { index, term: this.term(index), confState: history.current().toConfState() };
    return this.latestSnapshot;
  }

  /** Discards entries up to `index`, which must be covered by the latest snapshot. */
  compact(index: number): void {
    if (index <= this.compactedIndex) throw new CompactedError(index, this.firstIndex());
    if (index > this.latestSnapshot.index) {
      throw new RaftUsageError(
        `cannot compact to ${index}: the latest snapshot is at ${this.latestSnapshot.index}; take a snapshot first`,
      );
    }
    const term = this.term(index);
    this.log = this.log.slice(index - this.compactedIndex);
    this.compactedIndex = index;
    this.compactedTerm = term;
  }
}
