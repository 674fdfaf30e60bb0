// Applying the statements of one request inside one SQLite transaction when that changes nothing a
// client can see.
//
// Without `transaction`, rqlite runs every statement of a request as its own implicit transaction, and
// each one pays for a commit: a WAL write, its locks, and the bookkeeping around them (11-12 µs per INSERT
// on a small machine, against under 3 µs inside one transaction). A batch of 10,000 INSERTs is mostly that.
// Inside one transaction, each statement still stands alone: SQLite undoes a failed statement's own
// changes (or keeps them, for OR FAIL) exactly as it does in autocommit mode, and the statements after it
// run. What does differ is listed here and kept out:
// - statements that begin, end or name transactions, and those that refuse to run inside one or act
//   differently there (VACUUM, PRAGMA, ATTACH, DETACH, ...): only the kinds in `groupableFirstWords`
//   are grouped;
// - anything that can roll the whole transaction back (OR ROLLBACK, ON CONFLICT ROLLBACK in a table, a
//   trigger's RAISE(ROLLBACK)): in autocommit mode that undoes only the statement that did it, here it
//   would undo the ones before it too. So nothing is grouped when the word ROLLBACK appears in one of
//   the statements or anywhere in the schema (main and temp), and nothing when other databases are
//   attached, whose schema is not looked at;
// - deferred foreign-key checks, which run at each statement's commit in autocommit mode and only at the
//   group's end here: with foreign keys enforced nothing is grouped.
// Should SQLite still end the transaction part-way (it does so on some I/O and memory faults), the group
// is abandoned, everything it did being already undone, and the statements run one by one from the
// start. The connection's last_insert_rowid() and changes() then still show the abandoned group's last
// statement until a statement sets them, a difference only a node with a failing disk can show.
// Every node makes the same choice from the same command and the same database, so they stay identical.
import Database from 'better-sqlite3';

import type { Statement, StatementResult } from '../command/types.js';
import type { Connection } from './connection.js';
import { CommandFailedError } from './errors.js';
import { splitSqlUnits } from './sql-units.js';

const groupableFirstWords: ReadonlySet<string> = new Set([
  'INSERT',
  'REPLACE',
  'UPDATE',
  'DELETE',
  'SELECT',
  'VALUES',
  'WITH',
  'CREATE',
  'DROP',
  'ALTER',
]);

/**
 * Whether the statements of `parts` (the statements of one command, or of several commands applied one
 * after the other) may run inside one transaction on `connection` with the same outcome as apart.
 */
export function canApplyAsGroup(connection: Connection, parts: readonly (readonly Statement[])[]): boolean {
  return statementsMayGroup(connection, parts) && databaseAllowsGroups(connection);
}

/**
 * canApplyAsGroup for a state machine that applies many groups: the database's half of the answer is
 * remembered once it is yes. Only statements that are never grouped (PRAGMA, ATTACH, DETACH, any text
 * with ROLLBACK in it) can turn it to no, so the owner calls forget() whenever statements ran other
 * than in a group, and when the database is replaced. The query it spares is a few microseconds on
 * its own but runs for every group of small writes.
 */
export class GroupingCheck {
  private databaseAllows = false;

  constructor(private readonly connection: () => Connection) {}

  allows(parts: readonly (readonly Statement[])[]): boolean {
    const connection = this.connection();
    if (!statementsMayGroup(connection, parts)) return false;
    if (!this.databaseAllows) this.databaseAllows = databaseAllowsGroups(connection);
    return this.databaseAllows;
  }

  forget(): void {
    this.databaseAllows = false;
  }
}

function statementsMayGroup(connection: Connection, parts: readonly (readonly Statement[])[]): boolean {
  // One statement gains nothing; a client's open transaction already holds everything together.
  let count = 0;
  for (const statements of parts) count += statements.length;
  if (count < 2 || connection.inTransaction) return false;
  let previousSql: string | undefined;
  for (const statements of parts) {
    for (const statement of statements) {
      // A batch usually repeats one text: it is looked at once.
      if (statement.sql === previousSql) continue;
      previousSql = statement.sql;
      if (mentionsRollback.test(statement.sql)) return false;
      for (const unit of splitSqlUnits(statement.sql)) {
        if (unit.hasStatement && !groupableFirstWords.has(unit.firstWord)) return false;
      }
    }
  }
  return true;
}

function databaseAllowsGroups(connection: Connection): boolean {
  return Number(connection.single(groupableDatabaseSql)[0]) === 1;
}

const mentionsRollback = /rollback/iu;

// Foreign keys off, only the main and temp databases, and no ROLLBACK in their schema.
const groupableDatabaseSql = `SELECT (SELECT foreign_keys FROM pragma_foreign_keys) = 0
  AND (SELECT count(*) FROM pragma_database_list) <= 2
  AND NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE sql LIKE '%rollback%')
  AND NOT EXISTS (SELECT 1 FROM sqlite_temp_schema WHERE sql LIKE '%rollback%')`;

/**
 * Runs the statements of `parts` (as `runOne` does each, told which part it is in) inside one
 * transaction and commits it; returns each part's results. Returns undefined, with nothing changed, when
 * SQLite ended the transaction on its own part-way: the caller then runs them one by one. A commit that
 * fails is thrown as CommandFailedError, with nothing changed: the failure of a single command, as for a
 * request's own transaction; for several, the caller applies them one by one.
 */
export function applyAsGroup(
  connection: Connection,
  parts: readonly (readonly Statement[])[],
  runOne: (statement: Statement, part: number) => StatementResult,
): StatementResult[][] | undefined {
  connection.prepare('BEGIN').run();
  const results: StatementResult[][] = [];
  try {
    for (let part = 0; part < parts.length; part++) {
      const partResults: StatementResult[] = [];
      results.push(partResults);
      for (const statement of parts[part]!) {
        if (statement.sql === '') continue;
        partResults.push(runOne(statement, part));
        if (!connection.inTransaction) return undefined;
      }
    }
  } catch (error) {
    // Not a statement's error but a fault: leave no transaction behind.
    if (connection.inTransaction) connection.prepare('ROLLBACK').run();
    throw error;
  }
  try {
    connection.prepare('COMMIT').run();
  } catch (error) {
    if (!(error instanceof Database.SqliteError)) throw error;
    if (connection.inTransaction) connection.prepare('ROLLBACK').run();
    throw new CommandFailedError(error.message, { cause: error });
  }
  return results;
}
