// Running one statement on one connection and shaping its result as rqlite does. Used on the write
// connection when commands are applied, on the main thread's read connection, and inside read workers,
// so it holds no state of its own.
//
// rqlite hands each statement string to its Go driver through one of two paths, and Dust keeps both:
// - the exec path (writes): every piece of a multi-statement string runs, one step each, and the result
//   is the write connection's last_insert_rowid() and changes() after the last piece;
// - the query path (reads, and writes that return rows): every piece is compiled and bound, but only the
//   last one runs, and its rows are the result.
import Database from 'better-sqlite3';

import {
  noNamedValues,
  type ErrorResult,
  type ResultValue,
  type RowsResult,
  type Statement,
  type WriteResult,
} from '../command/types.js';
import { ArgumentCursor, type BoundArguments } from './binding.js';
import type { Connection, PreparedStatement } from './connection.js';
import { TimeFormatError } from './go-time.js';
import { splitSqlUnits } from './sql-units.js';
import { convertValue, normalizeDeclaredType, typeNameOfValue, type StoredValue } from './values.js';

/** rqlite's message for a write sent to a read path. */
export const writeOnReadPathMessage = 'attempt to change database via query operation';

/** Runs `statement` on the exec path and returns its write-shaped result. */
export function runForWrite(connection: Connection, statement: Statement): WriteResult | ErrorResult {
  const startedNs = process.hrtime.bigint();
  const units = splitSqlUnits(statement.sql);
  const cursor = new ArgumentCursor(statement);
  let lastInsertId = 0n;
  let rowsAffected = 0n;
  for (const unit of units) {
    if (!unit.hasStatement) {
      // The driver reports zeros when the string ends in a piece that compiles to nothing.
      lastInsertId = 0n;
      rowsAffected = 0n;
      continue;
    }
    // attempt()'s work inlined: this runs for every statement of every batch on every node, and a
    // closure here would allocate for each.
    let info: Database.RunResult;
    try {
      const prepared = connection.prepare(unit.text);
      const bound = cursor.take(unit.parameters, 'exec');
      if ('kind' in bound) return bound;
      info = prepared.run(...argumentsFor(bound));
    } catch (error) {
      if (isClientCausedError(error)) return errorResult(error);
      throw error;
    }
    // When the statement changed rows, run() reports sqlite3_changes() and the last rowid, which is
    // what the query below would read. When it changed none, run() says 0 while sqlite3_changes()
    // still holds an earlier statement's count, which rqlite reports: only the query gives that.
    if (info.changes > 0) {
      lastInsertId = BigInt(info.lastInsertRowid);
      rowsAffected = BigInt(info.changes);
    } else {
      [lastInsertId, rowsAffected] = connectionCounters(connection);
    }
  }
  return { kind: 'write', lastInsertId, rowsAffected, seconds: secondsSince(startedNs) };
}

/** Runs `statement` on the query path and returns the rows of its last piece. */
export function runForRows(connection: Connection, statement: Statement): RowsResult | ErrorResult {
  const startedNs = process.hrtime.bigint();
  const units = splitSqlUnits(statement.sql);
  const cursor = new ArgumentCursor(statement);
  for (const [index, unit] of units.entries()) {
    const isLast = index === units.length - 1;
    if (!unit.hasStatement) {
      // rqlite's driver loops forever on a string that ends in an empty piece; Dust answers with no rows.
      if (isLast) return emptyRows(startedNs);
      continue;
    }
    const outcome = attempt((): RowsResult | ErrorResult | undefined => {
      const prepared = connection.prepare(unit.text);
      const bound = cursor.take(unit.parameters, 'query');
      if ('kind' in bound) return bound;
      if (!isLast) return undefined; // compiled and bound, never run: as the driver does
      return readRows(prepared, bound, startedNs);
    });
    if (outcome !== undefined) return outcome;
  }
  return emptyRows(startedNs); // unreachable: the last piece always returns above
}

/**
 * Whether SQLite deems the first statement of `sql` read-only (sqlite3_stmt_readonly), or the message of
 * the error that stops it compiling. A string with no statement at all counts as read-only, as in SQLite.
 */
export function classifyStatement(connection: Connection, sql: string): { readOnly: boolean } | ErrorResult {
  const first = splitSqlUnits(sql)[0];
  if (first === undefined || !first.hasStatement) return { readOnly: true };
  return attempt(() => ({ readOnly: connection.prepare(first.text).readonly }));
}

/** Runs a statement on a read path: writes are refused with rqlite's message before anything runs. */
export function runOnReadPath(connection: Connection, statement: Statement): RowsResult | ErrorResult {
  const classified = classifyStatement(connection, statement.sql);
  if ('kind' in classified) return classified;
  if (!classified.readOnly) return { kind: 'error', error: writeOnReadPathMessage };
  return runForRows(connection, statement);
}

function readRows(prepared: PreparedStatement, bound: BoundArguments, startedNs: bigint): RowsResult {
  let stored: StoredValue[][] = [];
  if (prepared.reader) {
    stored = prepared.raw(true).all(...argumentsFor(bound)) as StoredValue[][];
  } else {
    prepared.run(...argumentsFor(bound));
  }
  // Column details are read after running: a statement re-compiled for a changed schema reports the
  // columns it has now.
  const columnDefinitions = prepared.reader ? prepared.columns() : [];
  const declaredTypes = columnDefinitions.map((column) => normalizeDeclaredType(column.type));
  const rows = stored.map((row) =>
    row.map((value, column) => convertValue(value, declaredTypes[column] ?? '')),
  );
  const firstRow: readonly ResultValue[] | undefined = rows[0];
  const types = declaredTypes.map((declared, column) =>
    declared !== '' || firstRow === undefined ? declared : typeNameOfValue(firstRow[column] ?? null),
  );
  return {
    kind: 'rows',
    columns: columnDefinitions.map((column) => column.name),
    types,
    rows,
    seconds: secondsSince(startedNs),
  };
}

function emptyRows(startedNs: bigint): RowsResult {
  return { kind: 'rows', columns: [], types: [], rows: [], seconds: secondsSince(startedNs) };
}

/** The write connection's sqlite3_last_insert_rowid() and sqlite3_changes(), whatever ran last. */
export function connectionCounters(connection: Connection): [bigint, bigint] {
  const [lastInsertId, changes] = connection.single('SELECT last_insert_rowid(), changes()');
  if (typeof lastInsertId !== 'bigint' || typeof changes !== 'bigint') {
    throw new Error('last_insert_rowid() and changes() did not return integers');
  }
  return [lastInsertId, changes];
}

function argumentsFor(bound: BoundArguments): unknown[] {
  const values: unknown[] = bound.anonymous.map(toBindable);
  if (bound.named === noNamedValues) return values;
  const namedEntries = Object.entries(bound.named);
  if (namedEntries.length > 0) {
    values.push(Object.fromEntries(namedEntries.map(([name, value]) => [name, toBindable(value)])));
  }
  return values;
}

// better-sqlite3 binds any ArrayBufferView as a BLOB; a Uint8Array that is not a Buffer is wrapped
// without copying so that its class never matters.
function toBindable(value: unknown): unknown {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/**
 * Runs `work` and turns the failures a client can cause into an ErrorResult: SQLite's errors, the
 * binding errors better-sqlite3 raises, and times Go cannot print. Anything else is a bug and propagates.
 */
function attempt<T>(work: () => T): T | ErrorResult {
  try {
    return work();
  } catch (error) {
    if (isClientCausedError(error)) return errorResult(error);
    throw error;
  }
}

function isClientCausedError(error: unknown): error is Error {
  return (
    error instanceof Database.SqliteError ||
    error instanceof TimeFormatError ||
    error instanceof RangeError ||
    error instanceof TypeError
  );
}

function errorResult(error: unknown): ErrorResult {
  return { kind: 'error', error: error instanceof Error ? error.message : String(error) };
}

// Whole nanoseconds divided once, so that timings print as Go prints a duration's seconds (0.001402951),
// without the float noise of subtracting two fractional millisecond readings.
function secondsSince(startedNs: bigint): number {
  return Number(process.hrtime.bigint() - startedNs) / 1e9;
}
