// The rules an update must follow before the log accepts it. They are Raft's log invariants, checked at the door
// so that a bug upstream fails loudly here instead of becoming a log that cannot be replayed: contiguous indexes,
// terms that never decrease, no rewriting of compacted or committed entries, a hard state whose term and commit
// never go back and whose vote never changes within a term.
import { isNonNegativeInteger } from './binary.js';
import { LogUsageError } from './errors.js';
import { encodedVote, voteBytesMax, type LogRecord } from './record.js';
import type { LogShape } from './replay.js';
import type { HardState, LogEntry, LogUpdate } from './types.js';

/** What the rules need to know about the log. */
export interface LogView {
  readonly shape: LogShape;
  /** The term of a live entry after the compaction point. */
  term(index: number): number | undefined;
  readonly entryBytesMax: number;
}

/** The log's outline once a snapshot in an update is applied, and what applying it involves. */
export interface SnapshotOutline {
  readonly baseIndex: number;
  readonly baseTerm: number;
  readonly lastIndex: number;
  /** The update moves the compaction point. */
  readonly compacts: boolean;
  /** The log's entry at the snapshot's index has another term: the suffix goes too. */
  readonly conflicting: boolean;
}

/**
 * Checks a snapshot against the log and adds its records; returns the log's outline after it. Nothing changes
 * yet: the caller applies the outline once the whole update is accepted.
 */
export function planSnapshot(
  log: LogView,
  snapshot: LogUpdate['snapshot'],
  records: LogRecord[],
): SnapshotOutline {
  const { baseIndex, baseTerm, lastIndex, hardState } = log.shape;
  const unchanged: SnapshotOutline = {
    baseIndex,
    baseTerm,
    lastIndex,
    compacts: false,
    conflicting: false,
  };
  if (snapshot === undefined) return unchanged;
  const { index, term } = snapshot;
  if (!isNonNegativeInteger(index) || !isNonNegativeInteger(term)) {
    throw new LogUsageError(`a snapshot at index ${index}, term ${term}: both must be non-negative integers`);
  }
  if (index < baseIndex) {
    throw new LogUsageError(`a snapshot at index ${index} is older than the compaction point ${baseIndex}`);
  }
  if (index === baseIndex) {
    if (term !== baseTerm) {
      throw new LogUsageError(
        `a snapshot at index ${index} has term ${term}, but the log is compacted there at term ${baseTerm}`,
      );
    }
    return unchanged;
  }
  const conflicting = index <= lastIndex && log.term(index) !== term;
  if (conflicting) {
    if (index <= hardState.commit) {
      throw new LogUsageError(
        `a snapshot at index ${index}, term ${term} contradicts committed entry ${index} of term ` +
          `${log.term(index)}`,
      );
    }
    records.push({ type: 'truncate', fromIndex: index });
  }
  records.push({ type: 'compact', index, term });
  return {
    baseIndex: index,
    baseTerm: term,
    lastIndex: conflicting ? index : Math.max(lastIndex, index),
    compacts: true,
    conflicting,
  };
}

/** Checks entries against the log as `outline` describes it (after any snapshot in the same update). */
export function checkEntries(log: LogView, entries: readonly LogEntry[], outline: SnapshotOutline): void {
  const { baseIndex, baseTerm, lastIndex } = outline;
  const { hardState } = log.shape;
  let previousIndex = entries[0]!.index - 1;
  if (previousIndex < baseIndex) {
    throw new LogUsageError(
      `entry ${entries[0]!.index} is at or below the compaction point ${baseIndex}; it cannot be rewritten`,
    );
  }
  if (previousIndex > lastIndex) {
    throw new LogUsageError(`entry ${entries[0]!.index} would leave a gap after the last entry ${lastIndex}`);
  }
  if (entries[0]!.index <= hardState.commit) {
    throw new LogUsageError(
      `entry ${entries[0]!.index} would replace a committed entry (the commit index is ${hardState.commit})`,
    );
  }
  let previousTerm = previousIndex === baseIndex ? baseTerm : log.term(previousIndex)!;
  for (const entry of entries) {
    if (!isNonNegativeInteger(entry.index) || entry.index !== previousIndex + 1) {
      throw new LogUsageError(
        `entry index ${entry.index} does not follow ${previousIndex}: entries must be contiguous`,
      );
    }
    if (!isNonNegativeInteger(entry.term) || entry.term < 1 || entry.term < previousTerm) {
      throw new LogUsageError(
        `entry ${entry.index} has term ${entry.term}: terms are positive integers that never decrease ` +
          `(the entry before has term ${previousTerm})`,
      );
    }
    if (!Number.isInteger(entry.kind) || entry.kind < 0 || entry.kind > 255) {
      throw new LogUsageError(
        `entry ${entry.index} has kind ${entry.kind}: kinds are integers from 0 to 255`,
      );
    }
    if (!(entry.data instanceof Uint8Array)) {
      throw new LogUsageError(`entry ${entry.index} has a payload that is not a Uint8Array`);
    }
    if (entry.data.byteLength > log.entryBytesMax) {
      throw new LogUsageError(
        `entry ${entry.index} is ${entry.data.byteLength} bytes, more than entryBytesMax (${log.entryBytesMax})`,
      );
    }
    previousIndex = entry.index;
    previousTerm = entry.term;
  }
}

export function checkHardState(current: HardState, next: HardState, lastIndexAfter: number): void {
  if (
    !isNonNegativeInteger(next.term) ||
    !isNonNegativeInteger(next.commit) ||
    typeof next.vote !== 'string'
  ) {
    throw new LogUsageError('a hard state has a non-negative integer term and commit and a string vote');
  }
  if (encodedVote(next.vote).byteLength > voteBytesMax) {
    throw new LogUsageError(`a vote is at most ${voteBytesMax} bytes of UTF-8`);
  }
  if (next.term < current.term) {
    throw new LogUsageError(`the hard state's term cannot go back from ${current.term} to ${next.term}`);
  }
  if (next.term === current.term && current.vote !== '' && next.vote !== current.vote) {
    throw new LogUsageError(
      `the vote in term ${next.term} was already given to "${current.vote}"; it cannot change to "${next.vote}"`,
    );
  }
  if (next.commit < current.commit) {
    throw new LogUsageError(`the commit index cannot go back from ${current.commit} to ${next.commit}`);
  }
  if (next.commit > lastIndexAfter) {
    throw new LogUsageError(`the commit index ${next.commit} is beyond the last entry ${lastIndexAfter}`);
  }
}
