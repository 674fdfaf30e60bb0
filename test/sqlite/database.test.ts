import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import Database from 'better-sqlite3';

import type { ResultValue, StatementResult } from '../../src/command/types.js';
import { CommandFailedError, SqliteStateMachineError } from '../../src/sqlite/errors.js';
import { SqliteDatabase, type SqliteDatabaseOptions } from '../../src/sqlite/database.js';
import { statement, statements, temporaryDirectory } from './support.js';

function rows(result: StatementResult | undefined): readonly (readonly ResultValue[])[] {
  assert.ok(
    result !== undefined && result.kind === 'rows',
    `expected rows, got ${JSON.stringify(result, bigintText)}`,
  );
  return result.rows;
}

function write(result: StatementResult | undefined): { lastInsertId: bigint; rowsAffected: bigint } {
  assert.ok(
    result !== undefined && result.kind === 'write',
    `expected a write, got ${JSON.stringify(result, bigintText)}`,
  );
  return { lastInsertId: result.lastInsertId, rowsAffected: result.rowsAffected };
}

function error(result: StatementResult | undefined): string {
  assert.ok(
    result !== undefined && result.kind === 'error',
    `expected an error, got ${JSON.stringify(result, bigintText)}`,
  );
  return result.error;
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

function select(database: SqliteDatabase, sql: string): readonly (readonly ResultValue[])[] {
  return rows(database.query([statement(sql)], { transaction: false })[0]);
}

/**
 * Everything a dump would contain: the schema, every table's rows in rowid order (or key order for
 * WITHOUT ROWID tables), and the database header fields a client can set.
 */
function content(database: SqliteDatabase): unknown {
  const schema = select(database, 'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name');
  const tables = select(database, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").map(
    (row) => row[0] as string,
  );
  const data = tables.map((table) => [table, select(database, `SELECT * FROM "${table}" ORDER BY 1, 2`)]);
  return { schema, data, userVersion: select(database, 'PRAGMA user_version') };
}

for (const mode of ['memory', 'disk'] as const) {
  void describe(`SqliteDatabase (${mode})`, () => {
    let directory: ReturnType<typeof temporaryDirectory>;
    let database: SqliteDatabase;
    const open = (options: Partial<SqliteDatabaseOptions> = {}, name = 'db.sqlite'): SqliteDatabase =>
      mode === 'memory'
        ? new SqliteDatabase({ mode, foreignKeys: false, ...options })
        : new SqliteDatabase({ mode, path: path.join(directory.path, name), foreignKeys: false, ...options });

    beforeEach(() => {
      directory = temporaryDirectory();
      database = open();
    });

    afterEach(() => {
      database.close();
      directory.remove();
    });

    const run = (list: (string | ReturnType<typeof statement>)[], transaction = false) =>
      database.apply(statements('execute', list, transaction));

    void test("a write reports the connection's last insert id and changes", () => {
      run(['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)']);
      const [first, second] = run(["INSERT INTO t(v) VALUES ('a')", "INSERT INTO t(v) VALUES ('b'), ('c')"]);
      assert.deepEqual(write(first), { lastInsertId: 1n, rowsAffected: 1n });
      assert.deepEqual(write(second), { lastInsertId: 3n, rowsAffected: 2n });
    });

    void test('DDL echoes the counters of the statement before it, as rqlite does', () => {
      run(['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)']);
      run(["INSERT INTO t(v) VALUES ('a'), ('b'), ('c')"]);
      const [drop, create] = run(['DROP TABLE t', 'CREATE TABLE u (x)']);
      assert.deepEqual(write(drop), { lastInsertId: 3n, rowsAffected: 3n });
      assert.deepEqual(write(create), { lastInsertId: 3n, rowsAffected: 3n });
    });

    void test('without a transaction a failing statement is reported and the next ones still run', () => {
      run(['CREATE TABLE t (v UNIQUE)']);
      const results = run([
        'INSERT INTO t VALUES (1)',
        'INSERT INTO t VALUES (1)',
        'INSERT INTO t VALUES (2)',
      ]);
      assert.equal(error(results[1]), 'UNIQUE constraint failed: t.v');
      assert.equal(results.length, 3);
      assert.deepEqual(select(database, 'SELECT v FROM t ORDER BY v'), [[1n], [2n]]);
    });

    void test('a transaction stops at the first error, rolls everything back, and reports up to it', () => {
      run(['CREATE TABLE t (v UNIQUE)']);
      const results = run(
        ['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)'],
        true,
      );
      assert.equal(results.length, 2);
      assert.deepEqual(write(results[0]), { lastInsertId: 1n, rowsAffected: 1n });
      assert.equal(error(results[1]), 'UNIQUE constraint failed: t.v');
      assert.deepEqual(select(database, 'SELECT count(*) FROM t'), [[0n]]);
      assert.equal(database.inTransaction, false);
    });

    void test('a transaction that cannot commit fails as a whole and leaves nothing behind', () => {
      database.close();
      database = open({ foreignKeys: true }, 'fk.sqlite');
      run([
        'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
        'CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)',
      ]);
      assert.throws(() => run(['INSERT INTO child VALUES (42)'], true), CommandFailedError);
      assert.equal(database.inTransaction, false);
      assert.deepEqual(select(database, 'SELECT count(*) FROM child'), [[0n]]);
    });

    void test('a client COMMIT inside a transaction request fails the request, as in rqlite', () => {
      run(['CREATE TABLE t (v)']);
      assert.throws(() => run(['INSERT INTO t VALUES (1)', 'COMMIT'], true), {
        name: 'SqliteStateMachineError',
        message: 'cannot commit - no transaction is active',
      });
      assert.deepEqual(select(database, 'SELECT count(*) FROM t'), [[1n]]);
    });

    void test('foreign keys are off unless asked for', () => {
      run([
        'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
        'CREATE TABLE child (p INTEGER REFERENCES parent(id))',
      ]);
      assert.deepEqual(write(run(['INSERT INTO child VALUES (42)'])[0]), {
        lastInsertId: 1n,
        rowsAffected: 1n,
      });
      assert.equal(database.status().pragmas.rw['foreign_keys'], '0');

      const enforced = open({ foreignKeys: true }, 'enforced.sqlite');
      try {
        enforced.apply(
          statements('execute', [
            'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
            'CREATE TABLE child (p INTEGER REFERENCES parent(id))',
          ]),
        );
        const [result] = enforced.apply(statements('execute', ['INSERT INTO child VALUES (42)']));
        assert.equal(error(result), 'FOREIGN KEY constraint failed');
        assert.equal(enforced.status().pragmas.ro['foreign_keys'], '1');
      } finally {
        enforced.close();
      }
    });

    void test('a multi-statement string runs whole and reports the counters after its last statement', () => {
      const [result] = run([
        'CREATE TABLE t (id INTEGER PRIMARY KEY, v); INSERT INTO t(v) VALUES (1), (2); INSERT INTO t(v) VALUES (3)',
      ]);
      assert.deepEqual(write(result), { lastInsertId: 3n, rowsAffected: 1n });
      const [failed] = run([
        'INSERT INTO t(v) VALUES (4); INSERT INTO nope VALUES (1); INSERT INTO t(v) VALUES (5)',
      ]);
      assert.equal(error(failed), 'no such table: nope');
      // Statements before the failing one stay applied: the string is not a transaction.
      assert.deepEqual(select(database, 'SELECT v FROM t ORDER BY id'), [[1n], [2n], [3n], [4n]]);
    });

    void test('a dump-like text with its own BEGIN and COMMIT loads in one statement', () => {
      const dump = [
        'PRAGMA foreign_keys=OFF;',
        'BEGIN TRANSACTION;',
        'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);',
        "INSERT INTO t VALUES(1,'semi;colon');",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET v = v || '!' WHERE id = new.id; END;",
        "INSERT INTO t VALUES(2,'b');",
        'COMMIT;',
      ].join('\n');
      const [result] = run([dump]);
      assert.equal(result?.kind, 'write');
      assert.deepEqual(select(database, 'SELECT v FROM t ORDER BY id'), [['semi;colon'], ['b!']]);
    });

    void test('statements with RETURNING answer with rows on the write path', () => {
      run(['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, at DATETIME)']);
      const [result] = run([
        statement("INSERT INTO t(v, at) VALUES ('a', 0), ('b', 86400) RETURNING *", { returnsRows: true }),
      ]);
      assert.ok(result?.kind === 'rows');
      assert.deepEqual(result.columns, ['id', 'v', 'at']);
      assert.deepEqual(result.types, ['integer', 'text', 'datetime']);
      assert.deepEqual(result.rows, [
        [1n, 'a', '1970-01-01T00:00:00Z'],
        [2n, 'b', '1970-01-02T00:00:00Z'],
      ]);
    });

    void test("reads refuse writes with rqlite's message and report each statement's error", () => {
      run(['CREATE TABLE t (v)']);
      const results = database.query(
        [statement('INSERT INTO t VALUES (1)'), statement('SELEC 1'), statement('SELECT count(*) FROM t')],
        { transaction: false },
      );
      assert.equal(error(results[0]), 'attempt to change database via query operation');
      assert.equal(error(results[1]), 'near "SELEC": syntax error');
      assert.deepEqual(rows(results[2]), [[0n]]);
    });

    void test('a read transaction answers every statement, errors included', () => {
      run(['CREATE TABLE t (v)', 'INSERT INTO t VALUES (1)']);
      const results = database.query([statement('SELECT * FROM nope'), statement('SELECT v FROM t')], {
        transaction: true,
      });
      assert.equal(error(results[0]), 'no such table: nope');
      assert.deepEqual(rows(results[1]), [[1n]]);
    });

    void test('strong reads through the log run on a read-only connection', () => {
      run(['CREATE TABLE t (v)', 'INSERT INTO t VALUES (1)']);
      const results = database.apply(statements('query', ['SELECT v FROM t', 'DELETE FROM t']));
      assert.deepEqual(rows(results[0]), [[1n]]);
      assert.equal(error(results[1]), 'attempt to change database via query operation');
      assert.deepEqual(select(database, 'SELECT count(*) FROM t'), [[1n]]);
    });

    void test('the unified endpoint lets SQLite classify each statement', () => {
      run(['CREATE TABLE t (v)']);
      const results = database.apply(
        statements('request', ['INSERT INTO t VALUES (1)', 'SELECT v FROM t', 'EXPLAIN SELECT 1']),
      );
      assert.deepEqual(write(results[0]), { lastInsertId: 1n, rowsAffected: 1n });
      assert.deepEqual(rows(results[1]), [[1n]]);
      assert.equal(results[2]?.kind, 'rows');
    });

    void test('isReadOnly follows sqlite3_stmt_readonly; what does not compile counts as a write', () => {
      run(['CREATE TABLE t (v)']);
      assert.equal(database.isReadOnly(statement('SELECT * FROM t')), true);
      assert.equal(database.isReadOnly(statement('EXPLAIN SELECT * FROM t')), true);
      // SQLite judges an EXPLAIN by the statement it explains.
      assert.equal(database.isReadOnly(statement('EXPLAIN DELETE FROM t')), false);
      assert.equal(database.isReadOnly(statement('PRAGMA user_version')), true);
      assert.equal(database.isReadOnly(statement('INSERT INTO t VALUES (1)')), false);
      assert.equal(database.isReadOnly(statement('CREATE TABLE u (x)')), false);
      assert.equal(database.isReadOnly(statement('SELECT * FROM nope')), false);
      assert.equal(database.isReadOnly(statement('SELEC')), false);
    });

    void test('int64 extremes and every byte value round trip exactly', () => {
      run(['CREATE TABLE t (i INTEGER, b BLOB)']);
      const allBytes = Uint8Array.from({ length: 256 }, (_unused, index) => index);
      run([
        statement('INSERT INTO t VALUES (?, ?)', { positional: [9_223_372_036_854_775_807n, allBytes] }),
        statement('INSERT INTO t VALUES (:i, :b)', {
          named: { i: -9_223_372_036_854_775_808n, b: new Uint8Array(0) },
        }),
      ]);
      const [max, min] = select(database, 'SELECT i, b FROM t ORDER BY rowid');
      assert.equal(max?.[0], 9_223_372_036_854_775_807n);
      assert.deepEqual(max?.[1], allBytes);
      assert.equal(min?.[0], -9_223_372_036_854_775_808n);
      assert.deepEqual(min?.[1], new Uint8Array(0));
      assert.deepEqual(select(database, 'SELECT 9223372036854775807 - 1, typeof(1.0 * 2)'), [
        [9_223_372_036_854_775_806n, 'real'],
      ]);
    });

    void test('double-quoted string literals are accepted, and a double-quoted column name still names the column', () => {
      run(['CREATE TABLE students (id INTEGER PRIMARY KEY, name TEXT)']);
      assert.equal(run(['INSERT INTO students(name) VALUES("ming")'])[0]?.kind, 'write');
      assert.deepEqual(select(database, 'SELECT name, typeof(name) FROM students'), [['ming', 'text']]);
      assert.deepEqual(select(database, 'SELECT "name" FROM students WHERE "name" = "ming"'), [['ming']]);
      assert.deepEqual(select(database, 'SELECT "id" + 1 FROM students'), [[2n]]);
    });

    void test('snapshot then restore reproduces the database exactly, in this and the other mode', () => {
      run([
        'CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, born DATE, photo BLOB)',
        'CREATE INDEX people_name ON people(name)',
        'CREATE VIEW adults AS SELECT name FROM people WHERE born < 2000',
        'CREATE TABLE tags (k TEXT PRIMARY KEY, v) WITHOUT ROWID',
        'CREATE TRIGGER people_tag AFTER INSERT ON people BEGIN INSERT INTO tags VALUES (new.name, new.id); END',
        'PRAGMA user_version = 7',
      ]);
      run([
        statement('INSERT INTO people(name, born, photo) VALUES (?, ?, ?)', {
          positional: ['ann', 1990n, Uint8Array.from([0, 255, 10])],
        }),
        "INSERT INTO people(name, born) VALUES ('bob', 2005), ('cy', NULL)",
        "DELETE FROM people WHERE name = 'cy'",
      ]);
      const before = content(database);
      const image = database.snapshot();
      assert.equal(Buffer.from(image.subarray(0, 15)).toString(), 'SQLite format 3');

      for (const targetMode of ['memory', 'disk'] as const) {
        const restored =
          targetMode === 'memory'
            ? new SqliteDatabase({ mode: 'memory', foreignKeys: false })
            : new SqliteDatabase({
                mode: 'disk',
                path: path.join(directory.path, 'restored.sqlite'),
                foreignKeys: false,
              });
        try {
          restored.apply(
            statements('execute', ['CREATE TABLE leftover (x)', 'INSERT INTO leftover VALUES (1)']),
          );
          restored.restore(image);
          assert.deepEqual(content(restored), before);
          // The restored database keeps working, AUTOINCREMENT counter included.
          const [inserted] = restored.apply(
            statements('execute', ["INSERT INTO people(name) VALUES ('dee')"]),
          );
          assert.deepEqual(write(inserted), { lastInsertId: 4n, rowsAffected: 1n });
        } finally {
          restored.close();
        }
      }
    });

    void test('restore replaces the database for connections opened on the new target; old readers finish on the old one', () => {
      run(['CREATE TABLE t (v)', "INSERT INTO t VALUES ('old')"]);
      const image = (() => {
        const other = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
        other.apply(
          statements('execute', [
            'CREATE TABLE t (v)',
            "INSERT INTO t VALUES ('new')",
            "INSERT INTO t VALUES ('new2')",
          ]),
        );
        const bytes = other.snapshot();
        other.close();
        return bytes;
      })();
      const oldTarget = database.readTarget;
      const oldReader = openReader(oldTarget.location);
      let notified = 0;
      const unsubscribe = database.onReadTargetChange(() => notified++);
      try {
        database.restore(image);
        assert.equal(notified, 1);
        assert.equal(database.readTarget.generation, oldTarget.generation + 1);
        assert.deepEqual(select(database, 'SELECT v FROM t ORDER BY rowid'), [['new'], ['new2']]);
        // A reader opened before the restore still sees one consistent database: the old one.
        assert.deepEqual(oldReader.prepare('SELECT v FROM t').raw(true).all(), [['old']]);
        const newReader = openReader(database.readTarget.location);
        try {
          assert.deepEqual(newReader.prepare('SELECT count(*) FROM t').raw(true).get(), [2]);
        } finally {
          newReader.close();
        }
        // Writes after the restore land in the new database.
        run(["INSERT INTO t VALUES ('after')"]);
        assert.deepEqual(select(database, 'SELECT count(*) FROM t'), [[3n]]);
      } finally {
        unsubscribe();
        oldReader.close();
      }
    });

    void test('restore refuses what is not a usable database and keeps the current one', () => {
      run(['CREATE TABLE t (v)', 'INSERT INTO t VALUES (1)']);
      const valid = database.snapshot();
      const damaged = Uint8Array.from(valid);
      damaged.fill(0xab, 100, Math.min(damaged.length, 100 + 4096));
      for (const image of [
        new Uint8Array(0),
        Buffer.from('not a database at all, not even close'),
        valid.subarray(0, 150),
        damaged,
      ]) {
        assert.throws(
          () => database.restore(image),
          (thrown: unknown) => thrown instanceof SqliteStateMachineError && thrown.code === 'invalid_image',
        );
      }
      assert.deepEqual(select(database, 'SELECT v FROM t'), [[1n]]);
      assert.deepEqual(write(run(['INSERT INTO t VALUES (2)'])[0]), { lastInsertId: 2n, rowsAffected: 1n });
    });

    void test('restoreFromFile replaces the database from a file, even one whose header says WAL', () => {
      run(['CREATE TABLE t (v)', "INSERT INTO t VALUES ('old')"]);
      const file = path.join(directory.path, 'incoming-wal.sqlite');
      const source = new Database(file);
      source.pragma('journal_mode = WAL');
      source.exec(
        "CREATE TABLE t (v); INSERT INTO t VALUES ('from file'); INSERT INTO t VALUES ('and more');",
      );
      source.close(); // checkpoints the WAL into the file, whose header keeps saying WAL
      assert.deepEqual([...fs.readFileSync(file).subarray(18, 20)], [2, 2]);
      const oldGeneration = database.readTarget.generation;
      let notified = 0;
      const unsubscribe = database.onReadTargetChange(() => notified++);
      try {
        database.restoreFromFile(file);
      } finally {
        unsubscribe();
      }
      assert.equal(notified, 1);
      assert.equal(database.readTarget.generation, oldGeneration + 1);
      assert.deepEqual(select(database, 'SELECT v FROM t ORDER BY rowid'), [['from file'], ['and more']]);
      run(["INSERT INTO t VALUES ('after')"]);
      assert.deepEqual(select(database, 'SELECT count(*) FROM t'), [[3n]]);
      // The file is left to the caller, now in rollback-journal form.
      assert.deepEqual([...fs.readFileSync(file).subarray(18, 20)], [1, 1]);
    });

    void test('restoreFromFile refuses what is not a whole database and keeps the current one', () => {
      run(['CREATE TABLE t (v)', 'INSERT INTO t VALUES (1)']);
      const other = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
      other.apply(
        statements('execute', [
          'CREATE TABLE big (v)',
          'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO big SELECT hex(randomblob(500)) FROM n',
        ]),
      );
      const valid = other.snapshot();
      other.close();
      const damaged = Uint8Array.from(valid);
      damaged.fill(0xff, 4096 + 8, 4096 + 200); // the second page's b-tree header and cells
      const cases: [string, Uint8Array][] = [
        ['empty', new Uint8Array(0)],
        ['text', Buffer.from('not a database at all, not even close, and longer than a header '.repeat(3))],
        ['truncated', valid.subarray(0, valid.length - 4096)],
        ['damaged', damaged],
      ];
      for (const [name, bytes] of cases) {
        const file = path.join(directory.path, `${name}.sqlite`);
        fs.writeFileSync(file, bytes);
        assert.throws(
          () => database.restoreFromFile(file),
          (thrown: unknown) => thrown instanceof SqliteStateMachineError && thrown.code === 'invalid_image',
          name,
        );
      }
      assert.throws(
        () => database.restoreFromFile(path.join(directory.path, 'missing.sqlite')),
        (thrown: unknown) => thrown instanceof SqliteStateMachineError && thrown.code === 'io',
      );
      assert.deepEqual(select(database, 'SELECT v FROM t'), [[1n]]);
      assert.deepEqual(write(run(['INSERT INTO t VALUES (2)'])[0]), { lastInsertId: 2n, rowsAffected: 1n });
    });

    void test('an image is restored without its bytes being changed, and snapshots are in rollback-journal form', () => {
      const walFile = path.join(directory.path, 'wal-image.sqlite');
      const source = new Database(walFile);
      source.pragma('journal_mode = WAL');
      source.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('wal');");
      source.close();
      const image = new Uint8Array(fs.readFileSync(walFile));
      const original = Uint8Array.from(image);
      database.restore(image);
      assert.deepEqual(image, original);
      assert.deepEqual(select(database, 'SELECT v FROM t'), [['wal']]);
      assert.deepEqual([...database.snapshot().subarray(18, 20)], [1, 1]);
    });

    void test('a load command replaces the database; a bad image is an error result', () => {
      const other = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
      other.apply(statements('execute', ['CREATE TABLE loaded (v)', "INSERT INTO loaded VALUES ('x')"]));
      const image = other.snapshot();
      other.close();
      assert.deepEqual(database.apply({ kind: 'load', database: image }), []);
      assert.deepEqual(select(database, 'SELECT v FROM loaded'), [['x']]);
      const [result] = database.apply({
        kind: 'load',
        database: Buffer.from('SQLite format 3\u0000 but garbage after'),
      });
      assert.match(error(result), /not a SQLite database|not a usable SQLite database|cannot restore/u);
      assert.deepEqual(select(database, 'SELECT v FROM loaded'), [['x']]);
    });

    void test("a snapshot waits for a client's open transaction to end", () => {
      run(['CREATE TABLE t (v)']);
      run(['BEGIN', 'INSERT INTO t VALUES (1)']);
      assert.throws(
        () => database.snapshot(),
        (thrown: unknown) => thrown instanceof SqliteStateMachineError && thrown.code === 'transaction_open',
      );
      run(['COMMIT']);
      assert.ok(database.snapshot().length > 0);
    });

    void test('a noop changes nothing', () => {
      assert.deepEqual(database.apply({ kind: 'noop' }), []);
    });

    void test('status reports the pragmas as strings, the size and the SQLite build', () => {
      run(['CREATE TABLE t (v)']);
      const status = database.status();
      assert.equal(status.mode, mode);
      assert.equal(status.pragmas.rw['synchronous'], '0');
      assert.equal(status.pragmas.rw['journal_mode'], mode === 'memory' ? 'memory' : 'wal');
      assert.equal(status.pragmas.ro['foreign_keys'], '0');
      assert.ok(status.sizeBytes >= 4096);
      assert.ok(status.compileOptions.includes('DQS=3'));
      assert.match(status.version, /^3\.[0-9]+\.[0-9]+$/u);
      if (mode === 'disk') assert.ok(fs.existsSync(status.path));
      else assert.equal(status.path, ':memory:');
    });

    void test('a closed database refuses to work', () => {
      database.close();
      assert.throws(
        () => database.apply({ kind: 'noop' }),
        (thrown: unknown) => thrown instanceof SqliteStateMachineError && thrown.code === 'closed',
      );
      database = open({}, 'again.sqlite');
    });
  });
}

function openReader(location: SqliteDatabase['readTarget']['location']): Database.Database {
  return new Database(location.kind === 'memory' ? location.uri : location.path, { readonly: true });
}

void describe('the in-memory database is shared by every connection of the process', () => {
  void test('a worker thread reads what the write connection wrote', async () => {
    const database = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
    try {
      database.apply(statements('execute', ['CREATE TABLE t (v)', 'INSERT INTO t VALUES (41), (1)']));
      const location = database.readTarget.location;
      assert.equal(location.kind, 'memory');
      const source = `
        const { parentPort, workerData } = require('node:worker_threads');
        const Database = require(workerData.module);
        const reader = new Database(workerData.uri, { readonly: true });
        parentPort.postMessage(reader.prepare('SELECT sum(v) FROM t').pluck().get());
        reader.close();
      `;
      const worker = new Worker(source, {
        eval: true,
        workerData: {
          module: createRequire(import.meta.url).resolve('better-sqlite3'),
          uri: location.kind === 'memory' ? location.uri : '',
        },
      });
      const [sum] = (await Promise.race([
        new Promise((resolve, reject) => {
          worker.once('message', (message) => resolve([message]));
          worker.once('error', reject);
        }),
        new Promise((_resolve, reject) =>
          setTimeout(() => reject(new Error('worker did not answer in 10 s')), 10_000).unref(),
        ),
      ])) as [number];
      assert.equal(sum, 42);
      await worker.terminate();
    } finally {
      database.close();
    }
  });
});
