// The log's operating errors. Each has a stable `code` that callers can switch on and a message that says what
// happened and what to do about it.

export type LogErrorCode =
  | 'LOG_CORRUPT'
  | 'LOG_USAGE'
  | 'LOG_CONFIG'
  | 'LOG_COMPACTED'
  | 'LOG_CLOSED'
  | 'LOG_FAILED'
  | 'LOG_OVERLOADED'
  | 'SNAPSHOT_CORRUPT'
  | 'SNAPSHOT_USAGE';

export abstract class LogError extends Error {
  abstract readonly code: LogErrorCode;
}

/**
 * Damaged bytes were found where the log's rules say only intact, durably written records can be: a bad record
 * followed by later writes, a bad record in a segment that is not the last, a bad header, or records that
 * contradict each other. Opening stops here instead of skipping data that may have been acknowledged.
 */
export class LogCorruptError extends LogError {
  override readonly name = 'LogCorruptError';
  readonly code = 'LOG_CORRUPT';

  constructor(
    readonly file: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(
      `log file ${file} is corrupt at byte offset ${offset}: ${problem}. ` +
        'Dust does not skip damaged data that may have been acknowledged: restore this data directory from ' +
        'a backup, or remove it and let the node catch up from its cluster.',
    );
  }
}

/** A call broke one of the log's rules (a gap in indexes, a decreasing term, overwriting a committed entry...). */
export class LogUsageError extends LogError {
  override readonly name = 'LogUsageError';
  readonly code = 'LOG_USAGE';
}

/** An option given to the log or the snapshot store is out of range. */
export class LogConfigError extends LogError {
  override readonly name = 'LogConfigError';
  readonly code = 'LOG_CONFIG';
}

/** Entries were asked for below the log's first index: they were compacted into a snapshot. */
export class LogCompactedError extends LogError {
  override readonly name = 'LogCompactedError';
  readonly code = 'LOG_COMPACTED';

  constructor(
    readonly requestedIndex: number,
    readonly firstIndex: number,
  ) {
    super(
      `log entry ${requestedIndex} was compacted: the log now starts at ${firstIndex}; read the snapshot instead`,
    );
  }
}

/** The log was closed; it accepts no more calls. */
export class LogClosedError extends LogError {
  override readonly name = 'LogClosedError';
  readonly code = 'LOG_CLOSED';

  constructor() {
    super('the log is closed');
  }
}

/**
 * A write, fsync or file operation failed. After a failed fsync the kernel's view of the file can no longer be
 * trusted, so the log refuses every later write: the process must reopen the log, which recovers from what is
 * really on disk.
 */
export class LogFailedError extends LogError {
  override readonly name = 'LogFailedError';
  readonly code = 'LOG_FAILED';

  constructor(cause: unknown) {
    super(
      `the log stopped after a disk operation failed (${describe(cause)}); restart the node to recover the log ` +
        'from disk',
      { cause },
    );
  }
}

/** More bytes are waiting to be written than the log allows; the caller should wait for earlier writes. */
export class LogOverloadedError extends LogError {
  override readonly name = 'LogOverloadedError';
  readonly code = 'LOG_OVERLOADED';
}

/** A snapshot file is damaged: its header, trailer, size or data checksum does not verify. */
export class SnapshotCorruptError extends LogError {
  override readonly name = 'SnapshotCorruptError';
  readonly code = 'SNAPSHOT_CORRUPT';

  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`snapshot file ${file} is corrupt: ${problem}`);
  }
}

/** A snapshot call broke a rule (metadata or data larger than allowed, a bad index or term). */
export class SnapshotUsageError extends LogError {
  override readonly name = 'SnapshotUsageError';
  readonly code = 'SNAPSHOT_USAGE';
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
