// The read side of the durable log, as the core needs it. The core never writes: the application
// persists what `Ready` hands it (through MemoryStorage's methods, or a disk log's) and then reads back
// through this interface. Every method is synchronous and cheap enough to call while stepping a message.

import type { ConfState, Entry, HardState, SnapshotMetadata } from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  /** The configuration at `snapshot().index`. The core replays configuration entries after it. */
  readonly confState: ConfState;
}

export interface Storage {
  /** What was persisted last: the hard state, and the configuration of the latest snapshot. */
  initialState(): InitialState;

  /**
   * Entries [lo, hi), at most `bytesMax` bytes of payload but always at least one entry when lo < hi.
   * Throws CompactedError when lo < firstIndex(), UnavailableError when hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, bytesMax: number): Entry[];

  /**
   * The term of the entry at `index`, for firstIndex() - 1 <= index <= lastIndex(); the term at
   * firstIndex() - 1 is that of the last compacted entry. Throws CompactedError below that range and
   * UnavailableError above it.
   */
  term(index: number): number;

  /** The index of the first entry still held; everything before it is covered by the snapshot. */
  firstIndex(): number;

  /** The index of the last entry held, or firstIndex() - 1 when no entry is held. */
  lastIndex(): number;

  /**
   * The metadata of the latest snapshot the application stored (index 0 and the bootstrap configuration
   * when none was ever taken). Invariant: firstIndex() - 1 <= snapshot().index <= lastIndex(), so every
   * entry after the snapshot is still in the log.
   */
  snapshot(): SnapshotMetadata;
}
