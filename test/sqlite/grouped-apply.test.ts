// A request's statements applied as one command (grouped into one transaction where that is safe) must
// answer and leave the database exactly as the same statements applied one command each, which is how
// rqlite runs statements without `transaction`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import type { Command, Statement, StatementResult } from '../../src/command/types.js';
import { Connection } from '../../src/sqlite/connection.js';
import { SqliteDatabase } from '../../src/sqlite/database.js';
import { CommandFailedError } from '../../src/sqlite/errors.js';
import { canApplyAsGroup } from '../../src/sqlite/grouped-apply.js';
import { rqliteShape, statement, statements, temporaryDirectory, type Canonical } from './support.js';

const plainSchema = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER NOT NULL CHECK (n >= 0))',
  'CREATE TABLE audit (v)',
  'CREATE TRIGGER log AFTER UPDATE ON t BEGIN INSERT INTO audit VALUES (new.n); END',
  "CREATE TRIGGER refuse BEFORE DELETE ON t WHEN old.k = 'b' BEGIN SELECT RAISE(ABORT, 'b stays'); END",
];
// A trigger that rolls the whole transaction back on one value: in autocommit mode that undoes only the
// statement that fired it, so with it in the schema nothing may be grouped.
const rollbackSchema = [
  ...plainSchema,
  "CREATE TRIGGER guard BEFORE INSERT ON t WHEN new.k = 'forbidden' BEGIN SELECT RAISE(ROLLBACK, 'forbidden key'); END",
];
type Schema = readonly string[];

/** Statements that succeed, fail in each of SQLite's ways, and some that must never be grouped. */
const pool: readonly Statement[] = [
  statement('INSERT INTO t(k, n) VALUES(?, ?)', { positional: ['a', 1n] }),
  statement('INSERT INTO t(k, n) VALUES(?, ?)', { positional: ['b', 2n] }),
  statement('INSERT INTO t(k, n) VALUES(?, ?)', { positional: ['c', -1n] }),
  statement('INSERT INTO t(k, n) VALUES(?, ?)', { positional: [null, null] }),
  statement("INSERT INTO t(k, n) VALUES('forbidden', 5)"),
  statement("INSERT OR ROLLBACK INTO t(k, n) VALUES('a', 9)"),
  statement("INSERT OR IGNORE INTO t(k, n) VALUES('a', 8)"),
  statement("INSERT OR REPLACE INTO t(k, n) VALUES('b', 7)"),
  statement('UPDATE t SET n = n - 1'),
  statement('UPDATE OR FAIL t SET n = n - 2'),
  statement("UPDATE t SET k = 'a' WHERE k = 'b'"),
  statement('DELETE FROM t WHERE n > 3'),
  statement('INSERT INTO t(k, n) VALUES(:k, :n) RETURNING id, n', { named: { k: 'r', n: 3n } }),
  statement('SELECT count(*) FROM t'),
  statement('INSERT INTO missing VALUES(1)'),
  statement('INSERT INTO t(k, n) VALUES(?, ?)', { positional: ['x'] }),
  statement("INSERT INTO audit VALUES('x'); INSERT INTO audit VALUES('y')"),
  statement('CREATE TABLE IF NOT EXISTS extra (v)'),
  statement('INSERT INTO extra VALUES(changes())'),
  statement('DROP TABLE IF EXISTS extra'),
  statement('BEGIN'),
  statement('COMMIT'),
  statement('PRAGMA user_version = 3'),
];

interface Outcome {
  readonly results: Canonical[];
  readonly content: unknown;
}

// A client's BEGIN may leave the write connection inside a transaction, which in-memory readers cannot
// see past; the answers (errors included) are compared as they are.
function contentOf(database: SqliteDatabase): unknown {
  const read = (sql: string): StatementResult => {
    const [result] = database.query([statement(sql)], { transaction: false });
    assert.ok(result !== undefined);
    return result;
  };
  const tables = read("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  const data =
    tables.kind === 'rows'
      ? tables.rows.map((row) => rqliteShape(read(`SELECT * FROM "${String(row[0])}" ORDER BY rowid`)))
      : [];
  return {
    tables: rqliteShape(tables),
    data,
    version: rqliteShape(read('PRAGMA user_version')),
    open: database.inTransaction,
  };
}

function outcome(schema: Schema, apply: (database: SqliteDatabase) => StatementResult[]): Outcome {
  const database = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
  try {
    database.apply(statements('execute', schema));
    const results = apply(database).map(rqliteShape);
    return { results, content: contentOf(database) };
  } finally {
    database.close();
  }
}

type Mode = 'execute' | 'request';

function asOneCommand(schema: Schema, list: readonly Statement[], mode: Mode): Outcome {
  return outcome(schema, (database) => database.apply(statements(mode, list)));
}

function oneCommandEach(schema: Schema, list: readonly Statement[], mode: Mode): Outcome {
  return outcome(schema, (database) => list.flatMap((item) => database.apply(statements(mode, [item]))));
}

/** Each command's answers (or its failure as a whole) and the database after them all. */
function commandsOutcome(
  schema: Schema,
  apply: (database: SqliteDatabase) => (StatementResult[] | CommandFailedError)[],
): { readonly answers: unknown[]; readonly content: unknown } {
  const database = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
  try {
    database.apply(statements('execute', schema));
    const answers = apply(database).map((outcome) =>
      outcome instanceof CommandFailedError ? { failed: outcome.message } : outcome.map(rqliteShape),
    );
    return { answers, content: contentOf(database) };
  } finally {
    database.close();
  }
}

function applyAlone(database: SqliteDatabase, command: Command): StatementResult[] | CommandFailedError {
  try {
    return database.apply(command);
  } catch (error) {
    if (error instanceof CommandFailedError) return error;
    throw error;
  }
}

/** A write connection on a scratch file holding `schema`, for asking canApplyAsGroup. */
function withConnection<T>(schema: Schema, use: (connection: Connection) => T): T {
  const directory = temporaryDirectory();
  const connection = new Connection(
    { kind: 'disk', path: `${directory.path}/group.sqlite` },
    { role: 'write', foreignKeys: false, busyTimeoutMs: 0 },
  );
  try {
    for (const sql of schema) connection.raw.exec(sql);
    return use(connection);
  } finally {
    connection.close();
    directory.remove();
  }
}

void describe('statements applied as one command, grouped into one transaction where safe', () => {
  for (const [name, schema] of [
    ['a plain schema', plainSchema],
    ['a schema with a rolling-back trigger', rollbackSchema],
  ] as const) {
    test(`answer and change the database as the same statements applied one by one, with ${name}`, () => {
      let grouped = 0;
      withConnection(schema, (connection) =>
        fc.assert(
          fc.property(
            fc.array(fc.constantFrom(...pool), { minLength: 2, maxLength: 12 }),
            fc.constantFrom<Mode>('execute', 'request'),
            (list, mode) => {
              if (canApplyAsGroup(connection, [list])) grouped++;
              assert.deepEqual(asOneCommand(schema, list, mode), oneCommandEach(schema, list, mode));
            },
          ),
          { numRuns: 300, seed: 20261122 },
        ),
      );
      // The property must have covered the grouped path where it can, and never taken it where it cannot.
      if (schema === plainSchema) assert.ok(grouped >= 20, `only ${grouped} of 300 lists were grouped`);
      else assert.equal(grouped, 0);
    });
  }

  test('a trigger rolling back mid-batch undoes only its own statement, as in autocommit mode', () => {
    const list = [pool[0]!, pool[4]!, pool[1]!];
    const outcome = asOneCommand(rollbackSchema, list, 'execute');
    assert.deepEqual(outcome, oneCommandEach(rollbackSchema, list, 'execute'));
    assert.deepEqual(outcome.results[1], { error: 'forbidden key' });
    assert.equal(outcome.results.filter((result) => 'error' in (result as object)).length, 1);
  });

  test('only plain reads and writes are grouped, with foreign keys off, outside a transaction', () => {
    withConnection(plainSchema, (connection) => {
      const insert = statement("INSERT INTO t(k, n) VALUES('z', 1)");
      assert.equal(canApplyAsGroup(connection, [[insert, insert]]), true);
      assert.equal(canApplyAsGroup(connection, [[insert]]), false, 'a single statement');
      assert.equal(
        canApplyAsGroup(connection, [[insert], [insert]]),
        true,
        'one statement each of two commands',
      );
      assert.equal(canApplyAsGroup(connection, [[insert], [], [statement('BEGIN')]]), false);
      assert.equal(canApplyAsGroup(connection, [[insert, statement('BEGIN')]]), false);
      assert.equal(canApplyAsGroup(connection, [[insert, statement('SELECT 1; VACUUM')]]), false);
      assert.equal(
        canApplyAsGroup(connection, [[insert, statement('/* c */ pragma user_version = 1')]]),
        false,
      );
      assert.equal(
        canApplyAsGroup(connection, [[insert, statement("INSERT OR ROLLBACK INTO t VALUES(9, 'q', 1)")]]),
        false,
      );
      connection.raw.exec('BEGIN');
      assert.equal(canApplyAsGroup(connection, [[insert, insert]]), false, "inside a client's transaction");
      connection.raw.exec('COMMIT');
      connection.raw.exec('CREATE TEMP TABLE scratch (v TEXT UNIQUE ON CONFLICT ROLLBACK)');
      assert.equal(canApplyAsGroup(connection, [[insert, insert]]), false, 'ROLLBACK in the temp schema');
      connection.raw.exec('DROP TABLE scratch');
      assert.equal(canApplyAsGroup(connection, [[insert, insert]]), true);
      connection.raw.exec("ATTACH ':memory:' AS other");
      assert.equal(canApplyAsGroup(connection, [[insert, insert]]), false, 'another database attached');
      connection.raw.exec('DETACH other');
      connection.raw.pragma('foreign_keys = ON');
      assert.equal(canApplyAsGroup(connection, [[insert, insert]]), false, 'with foreign keys enforced');
    });
  });

  for (const [name, schema] of [
    ['a plain schema', plainSchema],
    ['a schema with a rolling-back trigger', rollbackSchema],
  ] as const) {
    test(`commands applied together answer and change the database as applied one at a time, with ${name}`, () => {
      const write: fc.Arbitrary<Command> = fc.record({
        kind: fc.constant('statements' as const),
        mode: fc.constantFrom('execute' as const, 'request' as const),
        transaction: fc.constantFrom(false, false, true),
        statements: fc.array(fc.constantFrom(...pool), { maxLength: 3 }),
      });
      // A strong read's BEGIN would leave the read connection in a transaction that every later write
      // waits out its busy timeout for: the same answer either way, seconds later.
      const strongRead: fc.Arbitrary<Command> = fc.record({
        kind: fc.constant('statements' as const),
        mode: fc.constant('query' as const),
        transaction: fc.boolean(),
        statements: fc.array(fc.constantFrom(...pool.filter((item) => !/^(BEGIN|COMMIT)$/u.test(item.sql))), {
          maxLength: 3,
        }),
      });
      const command = fc.oneof({ arbitrary: write, weight: 3 }, { arbitrary: strongRead, weight: 1 });
      const noop: fc.Arbitrary<Command> = fc.constant({ kind: 'noop' });
      let groupedRuns = 0;
      fc.assert(
        fc.property(
          fc.array(fc.oneof({ arbitrary: command, weight: 6 }, { arbitrary: noop, weight: 1 }), {
            minLength: 2,
            maxLength: 10,
          }),
          (commands) => {
            const together = commandsOutcome(schema, (database) => database.applyEach(commands));
            const alone = commandsOutcome(schema, (database) =>
              commands.map((item) => applyAlone(database, item)),
            );
            assert.deepEqual(together, alone);
            const joins = (item: Command): boolean =>
              item.kind === 'statements' && !item.transaction && item.mode !== 'query';
            if (commands.some((item, i) => i > 0 && joins(item) && joins(commands[i - 1]!))) groupedRuns++;
          },
        ),
        { numRuns: 300, seed: 20261122 },
      );
      // Lists with a run of commands that may share a transaction were common enough to matter.
      assert.ok(groupedRuns >= 100, `only ${groupedRuns} of 300 lists held a run`);
    });
  }

  /**
   * A database on disk whose commits can be counted: each commit appends the pages it changed to the WAL
   * (nothing checkpoints it in a test this small), so a run of inserts into one table that commits once
   * adds as many frames as one insert alone does, and one that commits per insert that many times more.
   */
  function withCountedCommits(
    use: (database: SqliteDatabase, commitsOf: (commands: Command[]) => number) => void,
  ): void {
    const directory = temporaryDirectory();
    const file = `${directory.path}/commits.sqlite`;
    const database = new SqliteDatabase({ mode: 'disk', path: file, foreignKeys: false });
    try {
      database.apply(statements('execute', ['CREATE TABLE p (id INTEGER PRIMARY KEY)', ...plainSchema]));
      const walBytes = (): number => fs.statSync(`${file}-wal`).size;
      let key = 0;
      const oneInsertBytes = (): number => {
        const before = walBytes();
        database.apply(
          statements('execute', [
            statement('INSERT INTO t(k, n) VALUES(?, 1)', { positional: [`one${key++}`] }),
          ]),
        );
        return walBytes() - before;
      };
      oneInsertBytes();
      const perCommit = oneInsertBytes();
      assert.ok(perCommit > 0);
      use(database, (commands) => {
        const before = walBytes();
        database.applyEach(commands);
        return (walBytes() - before) / perCommit;
      });
    } finally {
      database.close();
      directory.remove();
    }
  }

  const insertKey = (key: string): Command =>
    statements('execute', [statement('INSERT INTO t(k, n) VALUES(?, 1)', { positional: [key] })]);

  test('small writes of several commands share one commit', () => {
    withCountedCommits((database, commitsOf) => {
      assert.equal(commitsOf([insertKey('p'), insertKey('q'), insertKey('r')]), 1);
      const outcomes = database.applyEach([insertKey('s'), insertKey('t'), insertKey('s'), insertKey('u')]);
      assert.deepEqual(
        outcomes.map((outcome) =>
          outcome instanceof CommandFailedError ? 'failed' : outcome.map(rqliteShape),
        ),
        [
          [{ last_insert_id: { numberText: '6' }, rows_affected: { numberText: '1' } }],
          [{ last_insert_id: { numberText: '7' }, rows_affected: { numberText: '1' } }],
          [{ error: 'UNIQUE constraint failed: t.k' }],
          [{ last_insert_id: { numberText: '8' }, rows_affected: { numberText: '1' } }],
        ],
      );
    });
  });

  test('what grouping depends on is asked again after statements ran one by one', () => {
    withCountedCommits((database, commitsOf) => {
      assert.equal(commitsOf([insertKey('a'), insertKey('b')]), 1, 'grouped');
      // Foreign keys on: deferred checks would run at the group's end, so nothing may be grouped now.
      database.apply(statements('execute', ['PRAGMA foreign_keys = ON']));
      assert.equal(commitsOf([insertKey('c'), insertKey('d')]), 2, 'one commit each with foreign keys on');
      database.apply(statements('execute', ['PRAGMA foreign_keys = OFF']));
      assert.equal(commitsOf([insertKey('e'), insertKey('f')]), 1, 'grouped again');
      database.apply(
        statements('execute', [
          "CREATE TRIGGER undo AFTER DELETE ON p BEGIN SELECT RAISE(ROLLBACK, 'no'); END",
        ]),
      );
      assert.equal(
        commitsOf([insertKey('g'), insertKey('h')]),
        2,
        'one commit each with ROLLBACK in the schema',
      );
    });
  });

  test('a full database fails the same writes applied together as applied one at a time', () => {
    // The writes that no longer fit fail with SQLITE_FULL, on which SQLite may end the transaction
    // itself; grouped or not, the same writes must fail and the same ones stay.
    const outcomeOf = (apply: (database: SqliteDatabase, commands: Command[]) => unknown[]): unknown => {
      const directory = temporaryDirectory();
      const database = new SqliteDatabase({
        mode: 'disk',
        path: `${directory.path}/full.sqlite`,
        foreignKeys: false,
      });
      try {
        database.apply(statements('execute', ['CREATE TABLE b (v BLOB)']));
        const pages = database.query([statement('PRAGMA page_count')], { transaction: false });
        assert.ok(pages[0]?.kind === 'rows');
        // Room for a few more pages only.
        database.apply(
          statements('execute', [`PRAGMA max_page_count = ${Number(pages[0].rows[0]![0]) + 4}`]),
        );
        const commands = Array.from({ length: 12 }, (_, i) =>
          statements('execute', [
            statement('INSERT INTO b VALUES(?)', { positional: [new Uint8Array(1500).fill(i)] }),
          ]),
        );
        const answers = apply(database, commands).map((outcome) =>
          outcome instanceof CommandFailedError
            ? { failed: outcome.message }
            : (outcome as StatementResult[]).map(rqliteShape),
        );
        const rows = database.query([statement('SELECT count(*), sum(length(v)) FROM b')], {
          transaction: false,
        });
        return { answers, rows: rows.map(rqliteShape) };
      } finally {
        database.close();
        directory.remove();
      }
    };
    const together = outcomeOf((database, commands) => database.applyEach(commands));
    const alone = outcomeOf((database, commands) => commands.map((item) => applyAlone(database, item)));
    assert.deepEqual(together, alone);
    const failures = JSON.stringify(together).match(/database or disk is full/gu) ?? [];
    assert.ok(failures.length > 0 && failures.length < 12, `${failures.length} of 12 writes failed`);
  });
});
