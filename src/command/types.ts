// The replicated command: what a client asked the database to do, in the form that is written to the
// log and applied, in log order, by every node's state machine. Nothing here knows about HTTP, Raft or
// SQLite; the HTTP layer builds commands, the state machine executes them.

/**
 * A value bound to a statement parameter or read from a result row.
 *
 * The JavaScript type decides the SQLite storage class, exactly: `bigint` is INTEGER (int64, exact beyond
 * 2^53), `number` is REAL (even when it happens to be integral), `string` is TEXT, `Uint8Array` is BLOB,
 * `null` is NULL. Clients' JSON booleans are bound as the integers 1 and 0, as rqlite does.
 */
export type SqlValue = null | bigint | number | string | Uint8Array;

/** The named values of a statement that has none, shared (frozen: nothing writes to it). */
export const noNamedValues: Readonly<Record<string, SqlValue>> = Object.freeze({});

/** One SQL statement with its parameters. */
export interface Statement {
  readonly sql: string;
  /** Values for `?` and `?NNN` placeholders, in order. */
  readonly positional: readonly SqlValue[];
  /** Values for `:name`, `@name` and `$name` placeholders, keyed by the name without its prefix. */
  readonly named: Readonly<Record<string, SqlValue>>;
  /**
   * Return rows even on a write path: set for statements with a RETURNING clause, so that
   * `INSERT ... RETURNING *` sent to /db/execute answers with the inserted rows.
   */
  readonly returnsRows: boolean;
}

/**
 * How the statements of one request are executed and how their results are shaped:
 * - `execute`: writes; each result is write-shaped unless the statement returns rows;
 * - `query`: reads through the log (strong consistency); each result is row-shaped;
 * - `request`: the unified endpoint; each statement is classified as a read or a write by SQLite.
 */
export type StatementsMode = 'execute' | 'query' | 'request';

/** Statements that change (or, for strong reads, observe) the database in log order. */
export interface StatementsCommand {
  readonly kind: 'statements';
  readonly mode: StatementsMode;
  readonly statements: readonly Statement[];
  /** Wrap all statements in one transaction; stop and roll back at the first error. */
  readonly transaction: boolean;
}

/**
 * An entry that changes nothing. A new leader appends one so that it can commit entries of its term; a
 * single node appends one at start so that its commit index is known.
 */
export interface NoopCommand {
  readonly kind: 'noop';
}

/** Replace the whole database with a SQLite database image (a file's bytes), on every node. */
export interface LoadCommand {
  readonly kind: 'load';
  readonly database: Uint8Array;
}

export type Command = StatementsCommand | NoopCommand | LoadCommand;

/** The result of a statement that wrote (or that SQLite classified as not read-only). */
export interface WriteResult {
  readonly kind: 'write';
  /** sqlite3_last_insert_rowid() of the write connection after the statement, as rqlite reports it. */
  readonly lastInsertId: bigint;
  /** sqlite3_changes() of the write connection after the statement. */
  readonly rowsAffected: bigint;
  /** Seconds spent executing the statement. */
  readonly seconds: number;
}

/** The result of a statement that returned rows. */
export interface RowsResult {
  readonly kind: 'rows';
  readonly columns: readonly string[];
  /**
   * One type name per column as rqlite reports it: the lower-cased declared type, or for expressions the
   * type of the first row's value (`integer`, `real`, `text`, `blob`), or `""`.
   */
  readonly types: readonly string[];
  /**
   * Row values after rqlite's declared-type conversions: a DATE/DATETIME/TIMESTAMP column holding a time
   * becomes an RFC 3339 string and a BOOLEAN column a `boolean`.
   */
  readonly rows: readonly (readonly ResultValue[])[];
  readonly seconds: number;
}

/** A value in a result row: a `SqlValue`, or a `boolean` from a column declared BOOLEAN. */
export type ResultValue = SqlValue | boolean;

/** A statement that failed; the message is SQLite's, as the client sees it. */
export interface ErrorResult {
  readonly kind: 'error';
  readonly error: string;
}

export type StatementResult = WriteResult | RowsResult | ErrorResult;
