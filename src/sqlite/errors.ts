// Failures of the state machine that are not a single statement's error. A statement that SQLite rejects
// is an ErrorResult in the results and never an exception; the classes here are for the command or the
// operation as a whole, each with a code a caller can switch on and a message a user can act on.

export type SqliteFailureCode =
  /** The command's transaction could not be committed; everything it did was rolled back. */
  | 'commit_failed'
  /** A database image (snapshot or /db/load body) is not a usable SQLite database. */
  | 'invalid_image'
  /** A snapshot was asked for while a client's explicit transaction is open on the write connection. */
  | 'transaction_open'
  /** The database was used after close(). */
  | 'closed'
  /** Options given at construction are inconsistent. */
  | 'invalid_options'
  /** An operating-system error while touching the database files. */
  | 'io';

export class SqliteStateMachineError extends Error {
  override readonly name = 'SqliteStateMachineError';
  readonly code: SqliteFailureCode;

  constructor(code: SqliteFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The whole command failed after its statements ran, the way rqlite answers `{"results":[],"error":...}`:
 * for example COMMIT refused by a deferred foreign key, or a client's own COMMIT inside a request sent
 * with `transaction`. Every node fails the same command the same way, so the state stays identical.
 */
export class CommandFailedError extends SqliteStateMachineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('commit_failed', message, options);
  }
}

/** Throws when a condition that the code relies on does not hold: a bug, never a user error. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`sqlite state machine invariant violated: ${message}`);
}
