// The values the log stores. They are plain readonly data so that the Raft core can hand its own objects in
// without conversion.

/** One Raft log entry. */
export interface LogEntry {
  readonly index: number;
  readonly term: number;
  /** An application-defined tag from 0 to 255, stored and returned without interpretation. */
  readonly kind: number;
  /** The payload. The log keeps a reference to it until it is written: callers must not change it. */
  readonly data: Uint8Array;
}

/** The Raft state that must survive a restart besides the entries. */
export interface HardState {
  readonly term: number;
  /** The candidate voted for in `term`; the empty string means no vote. */
  readonly vote: string;
  readonly commit: number;
}

/** What one `persist` call makes durable, atomically: after a crash either all of it is on disk or none. */
export interface LogUpdate {
  /**
   * A snapshot now holds the log up to `index`, whose entry has `term`: entries up to it are dropped first (see
   * DurableLog.compact). Raft's Ready for an installed snapshot passes it with the hard state that commits it.
   */
  readonly snapshot?: { readonly index: number; readonly term: number };
  /**
   * Contiguous entries. If the first index is at or below the last index, the log's suffix from that index is
   * replaced (Raft's rule for conflicting entries).
   */
  readonly entries?: readonly LogEntry[];
  readonly hardState?: HardState;
}

export const initialHardState: HardState = Object.freeze({ term: 0, vote: '', commit: 0 });

/** Where the log reports problems it repaired on its own, such as a write cut short by a crash. */
export interface LogWarningSink {
  warn(message: string): void;
}

export const consoleWarningSink: LogWarningSink = {
  warn: (message) => console.warn(message),
};
