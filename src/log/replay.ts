// What records mean. Recovery replays every intact record of every segment in file order through `Replay`; the
// writer tracks the same state with `advanceShape` so that a new segment's start record says exactly what replay
// will have computed when it reaches that segment.
import { EntryIndex } from './entry-index.js';
import { LogCorruptError } from './errors.js';
import type { LogRecord } from './record.js';
import { initialHardState, type HardState } from './types.js';

/** The log's outline: its compaction point, its last index and its hard state. */
export interface LogShape {
  baseIndex: number;
  baseTerm: number;
  lastIndex: number;
  hardState: HardState;
}

export function initialShape(): LogShape {
  return { baseIndex: 0, baseTerm: 0, lastIndex: 0, hardState: initialHardState };
}

/** Applies the effect of a record that has already been validated. */
export function advanceShape(shape: LogShape, record: LogRecord): void {
  switch (record.type) {
    case 'start':
      break;
    case 'hardState':
      shape.hardState = record.hardState;
      break;
    case 'entry':
      shape.lastIndex = record.entry.index;
      break;
    case 'truncate':
      shape.lastIndex = record.fromIndex - 1;
      break;
    case 'compact':
      shape.baseIndex = record.index;
      shape.baseTerm = record.term;
      shape.lastIndex = Math.max(shape.lastIndex, record.index);
      break;
  }
}

/** Where a record was read from, for locating entries and for naming the place of a problem. */
export interface RecordPlace {
  readonly file: string;
  readonly segment: number;
  readonly offset: number;
  readonly bytes: number;
}

/**
 * Rebuilds the log from its records. Segments that compaction deleted leave a gap before the first remaining
 * one: its start record says the log then ended at some index L, but the entries up to L are gone. Those entries
 * are "unknown" until a later compaction record covers them; any still unknown at the end means a segment that
 * was needed is missing. `entries` holds the known entries, from `entries.firstIndex` to `shape.lastIndex`.
 */
export class Replay {
  readonly shape: LogShape = initialShape();
  readonly entries = new EntryIndex(1);
  private firstStart: RecordPlace | undefined;

  apply(record: LogRecord, place: RecordPlace, firstInSegment: boolean): void {
    const corrupt = (problem: string): LogCorruptError =>
      new LogCorruptError(place.file, place.offset, problem);
    if (firstInSegment !== (record.type === 'start')) {
      throw corrupt(
        firstInSegment
          ? `a segment must begin with a start record, not a ${record.type} record`
          : 'a start record appears after the beginning of a segment',
      );
    }
    const shape = this.shape;
    switch (record.type) {
      case 'start':
        if (record.lastIndex < record.baseIndex)
          throw corrupt('the start record ends the log before its base');
        if (this.firstStart === undefined) {
          this.firstStart = place;
          shape.baseIndex = record.baseIndex;
          shape.baseTerm = record.baseTerm;
          shape.lastIndex = record.lastIndex;
          this.entries.reset(record.lastIndex + 1);
        } else if (
          record.baseIndex !== shape.baseIndex ||
          record.baseTerm !== shape.baseTerm ||
          record.lastIndex !== shape.lastIndex
        ) {
          throw corrupt(
            `the segment begins with the log at (base ${record.baseIndex}, term ${record.baseTerm}, last ` +
              `${record.lastIndex}) but the previous segments end with it at (base ${shape.baseIndex}, term ` +
              `${shape.baseTerm}, last ${shape.lastIndex}): a segment is missing or out of place`,
          );
        }
        break;
      case 'hardState':
        break;
      case 'entry': {
        const { index, term } = record.entry;
        if (index !== shape.lastIndex + 1) {
          throw corrupt(`entry ${index} follows entry ${shape.lastIndex}: log indexes must be contiguous`);
        }
        const previousTerm = index - 1 === shape.baseIndex ? shape.baseTerm : this.entries.term(index - 1);
        if (previousTerm !== undefined && term < previousTerm) {
          throw corrupt(`entry ${index} has term ${term}, lower than the term ${previousTerm} before it`);
        }
        this.entries.appendWritten(index, term, place);
        break;
      }
      case 'truncate':
        if (record.fromIndex <= shape.baseIndex || record.fromIndex > shape.lastIndex + 1) {
          throw corrupt(
            `a truncation from ${record.fromIndex} lies outside the log (${shape.baseIndex + 1} to ${shape.lastIndex})`,
          );
        }
        this.entries.truncateFrom(record.fromIndex);
        break;
      case 'compact': {
        if (record.index < shape.baseIndex) {
          throw corrupt(
            `a compaction through ${record.index} goes back before the earlier one (${shape.baseIndex})`,
          );
        }
        const knownTerm = record.index === shape.baseIndex ? shape.baseTerm : this.entries.term(record.index);
        if (record.index <= shape.lastIndex && knownTerm !== undefined && knownTerm !== record.term) {
          throw corrupt(
            `a compaction through entry ${record.index} at term ${record.term} contradicts that entry's term ${knownTerm}`,
          );
        }
        this.entries.dropThrough(record.index);
        break;
      }
    }
    advanceShape(shape, record);
  }

  /** Checks that every entry of the log is known; call after the last record. */
  finish(): void {
    const first = this.firstStart;
    if (first === undefined) throw new Error('replay invariant: finish() before any segment');
    if (this.entries.firstIndex !== this.shape.baseIndex + 1) {
      throw new LogCorruptError(
        first.file,
        first.offset,
        `entries ${this.shape.baseIndex + 1} to ${this.entries.firstIndex - 1} are missing: a segment before ` +
          'this one was deleted or lost',
      );
    }
  }
}
