// The node's view of its log: durable entries in storage, followed by the unstable tail; the commit and
// apply positions; and the configuration history, which is a function of the log and so lives with it.

import { ConfigurationHistory } from './configuration-history.js';
import { CompactedError, invariant, RaftConfigError, UnavailableError } from './errors.js';
import type { Configuration } from './membership.js';
import type { Storage } from './storage.js';
import type { Entry, SnapshotMetadata } from './types.js';
import { Unstable } from './unstable.js';

/** Bytes read per chunk when scanning the log for configuration entries at start. */
const startupScanBytesMax = 4 * 1024 * 1024;

export interface EntryId {
  readonly index: number;
  readonly term: number;
}

export class RaftLog {
  readonly unstable: Unstable;
  readonly configurations: ConfigurationHistory;
  /** The highest index known committed. */
  committed: number;
  /** The highest index handed to the application and acknowledged by `advance`. */
  applied: number;

  constructor(
    readonly storage: Storage,
    appliedIndex: number | undefined,
  ) {
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    const snapshot = storage.snapshot();
    invariant(
      firstIndex - 1 <= snapshot.index && snapshot.index <= lastIndex,
      () => `storage snapshot ${snapshot.index} is outside its log [${firstIndex - 1}, ${lastIndex}]`,
    );
    this.unstable = new Unstable(lastIndex + 1);
    this.configurations = new ConfigurationHistory(snapshot.index, storage.initialState().confState);
    for (let lo = snapshot.index + 1; lo <= lastIndex;) {
      const chunk = storage.entries(lo, lastIndex + 1, startupScanBytesMax);
      this.configurations.recordAppended(chunk);
      lo += chunk.length;
    }
    this.committed = snapshot.index;
    this.applied = appliedIndex ?? snapshot.index;
    if (this.applied < firstIndex - 1) {
      throw new RaftConfigError(
        `appliedIndex ${this.applied} is before the log's start ${firstIndex}: entries to replay are gone`,
      );
    }
  }

  firstIndex(): number {
    return this.unstable.firstIndexIfKnown() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndexIfKnown() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when the index is compacted or beyond the log. */
  termIfKnown(index: number): number | undefined {
    const fromUnstable = this.unstable.termIfKnown(index);
    if (fromUnstable !== undefined) return fromUnstable;
    if (index >= this.unstable.offset || index < this.firstIndex() - 1) return undefined;
    // A pending snapshot replaces everything before it; storage still holds the older log.
    if (this.unstable.snapshot !== undefined) return undefined;
    return this.storage.term(index);
  }

  term(index: number): number {
    const term = this.termIfKnown(index);
    if (term !== undefined) return term;
    if (index < this.firstIndex() - 1) throw new CompactedError(index, this.firstIndex());
    throw new UnavailableError(index, this.lastIndex());
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  lastEntryId(): EntryId {
    const index = this.lastIndex();
    return { index, term: this.term(index) };
  }

  matchTerm(index: number, term: number): boolean {
    return this.termIfKnown(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ours = this.lastEntryId();
    return lastTerm > ours.term || (lastTerm === ours.term && lastIndex >= ours.index);
  }

  configuration(): Configuration {
    return this.configurations.current();
  }

  /** The index of the first entry that disagrees with our log (or lies beyond it); 0 if none. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index at or below `index` whose term is at most `term`, with that term; term 0 when the
   * search reaches compacted entries. Used on both sides of the fast backtracking of a divergent tail.
   */
  findConflictByTerm(index: number, term: number): EntryId {
    for (let i = Math.min(index, this.lastIndex()); i >= 0; i--) {
      const ours = this.termIfKnown(i);
      if (ours === undefined) return { index: i, term: 0 };
      if (ours <= term) return { index: i, term: ours };
    }
    return { index: 0, term: 0 };
  }

  /**
   * Appends a leader's entries that follow (prevIndex, prevTerm) if our log holds that entry (§5.3).
   * Returns undefined when it does not; otherwise the last index now known to match the leader, and
   * whether the configuration changed.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): { lastNewIndex: number; configurationChanged: boolean } | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNewIndex = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    let configurationChanged = false;
    if (conflict !== 0) {
      invariant(
        conflict > this.committed,
        () => `entry ${conflict} conflicts with a committed entry (committed ${this.committed})`,
      );
      configurationChanged = this.append(entries.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(Math.min(commit, lastNewIndex));
    return { lastNewIndex, configurationChanged };
  }

  /** Appends entries, replacing any suffix from their first index. Returns whether the configuration changed. */
  append(entries: readonly Entry[]): boolean {
    const first = entries[0];
    if (first === undefined) return false;
    invariant(
      first.index > this.committed,
      () => `appending at ${first.index} would overwrite committed entries (committed ${this.committed})`,
    );
    invariant(
      first.index <= this.lastIndex() + 1,
      () => `appending at ${first.index} leaves a gap after ${this.lastIndex()}`,
    );
    let changed = false;
    if (first.index <= this.lastIndex()) changed = this.configurations.truncateFrom(first.index);
    this.unstable.truncateAndAppend(entries);
    return this.configurations.recordAppended(entries) || changed;
  }

  /** Entries [lo, hi), at most `bytesMax` bytes of payload but at least one entry when lo < hi. */
  slice(lo: number, hi: number, bytesMax: number): Entry[] {
    invariant(lo >= this.firstIndex(), () => `slice from ${lo} before the log's start ${this.firstIndex()}`);
    invariant(hi <= this.lastIndex() + 1, () => `slice to ${hi} beyond the log's end ${this.lastIndex()}`);
    if (lo >= hi) return [];
    const offset = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < offset) {
      const storageHi = Math.min(hi, offset);
      out = this.storage.entries(lo, storageHi, bytesMax);
      if (out.length < storageHi - lo) return out;
    }
    if (hi > offset) {
      let bytes = 0;
      for (const entry of out) bytes += entry.data.byteLength;
      for (const entry of this.unstable.slice(Math.max(lo, offset), hi)) {
        bytes += entry.data.byteLength;
        if (out.length > 0 && bytes > bytesMax) break;
        out.push(entry);
      }
    }
    return out;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    invariant(
      index <= this.lastIndex(),
      () => `commit ${index} is beyond the last index ${this.lastIndex()}`,
    );
    this.committed = index;
  }

  appliedTo(index: number): void {
    invariant(
      index <= this.committed && index >= this.applied,
      () => `applied ${index} outside [${this.applied}, ${this.committed}]`,
    );
    this.applied = index;
  }

  hasNextCommittedEntries(): boolean {
    return this.unstable.snapshot === undefined && this.committed > this.applied;
  }

  nextCommittedEntries(bytesMax: number): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    return this.slice(this.applied + 1, this.committed + 1, bytesMax);
  }

  /** The last index that is durable and belongs to this log: what the leader may count for itself. */
  lastDurableIndex(): number {
    if (this.unstable.snapshot !== undefined) return 0;
    return Math.min(this.unstable.offset - 1, this.lastIndex());
  }

  /** Replaces the log with a snapshot received from the leader. */
  restore(snapshot: SnapshotMetadata): void {
    invariant(
      snapshot.index > this.committed,
      () => `restoring snapshot ${snapshot.index} at or before commit ${this.committed}`,
    );
    this.unstable.restore(snapshot);
    this.configurations.resetTo(snapshot.index, snapshot.confState);
    this.committed = snapshot.index;
  }
}
