// The tail of the log that the application has not yet made durable: entries appended since the last
// `advance`, and possibly a snapshot received from the leader. Entries before `offset` are in storage.

import { RaftInvariantError } from './errors.js';
import type { Entry, SnapshotMetadata } from './types.js';

export class Unstable {
  snapshot: SnapshotMetadata | undefined = undefined;
  entries: Entry[] = [];

  /** The index of entries[0]; one past the last durable entry. */
  constructor(public offset: number) {}

  /** When a snapshot is pending, the log starts right after it. */
  firstIndexIfKnown(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.index + 1;
  }

  lastIndexIfKnown(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.index;
  }

  termIfKnown(index: number): number | undefined {
    if (index < this.offset) {
      return this.snapshot !== undefined && this.snapshot.index === index ? this.snapshot.term : undefined;
    }
    return this.entries[index - this.offset]?.term;
  }

  /** Entries up to (index, term) became durable. A mismatch means they were since replaced: ignore. */
  stableTo(index: number, term: number): void {
    if (index < this.offset || this.termIfKnown(index) !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.index === index) this.snapshot = undefined;
  }

  restore(snapshot: SnapshotMetadata): void {
    this.offset = snapshot.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends entries, first replacing whatever the log held from their first index on. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const entry of entries) this.entries.push(entry);
    } else if (after <= this.offset) {
      // Replaces durable entries too; storage truncates its suffix when these are persisted.
      this.offset = after;
      this.entries = entries.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset);
      for (const entry of entries) this.entries.push(entry);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    if (lo < this.offset || hi > this.offset + this.entries.length || lo > hi) {
      throw new RaftInvariantError(
        `unstable slice [${lo}, ${hi}) outside [${this.offset}, ${this.offset + this.entries.length})`,
      );
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
