// Consistent copies of a live database (stepped on the main thread) and checked VACUUM INTO copies (in a
// worker thread).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { copyLiveDatabase, snapshotToFile, vacuumDatabaseFile } from '../../src/sqlite/backup-copy.js';
import { SqliteDatabase } from '../../src/sqlite/database.js';
import { SqliteStateMachineError } from '../../src/sqlite/errors.js';
import { ReadPool } from '../../src/sqlite/read-pool.js';
import { statement, statements, temporaryDirectory } from './support.js';

function counts(file: string): { a: number; b: number; integrity: string; header: number[] } {
  const connection = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const a = connection.prepare('SELECT count(*) FROM a').pluck().get() as number;
    const b = connection.prepare('SELECT count(*) FROM b').pluck().get() as number;
    const integrity = connection.prepare('PRAGMA integrity_check').pluck().get() as string;
    const header = [...fs.readFileSync(file).subarray(18, 20)];
    return { a, b, integrity, header };
  } finally {
    connection.close();
  }
}

for (const mode of ['memory', 'disk'] as const) {
  void describe(`copyLiveDatabase (${mode})`, () => {
    let directory: ReturnType<typeof temporaryDirectory>;
    let database: SqliteDatabase;
    let pool: ReadPool;

    beforeEach(() => {
      directory = temporaryDirectory();
      database =
        mode === 'memory'
          ? new SqliteDatabase({ mode, foreignKeys: false })
          : new SqliteDatabase({ mode, path: path.join(directory.path, 'db.sqlite'), foreignKeys: false });
      pool = new ReadPool(database, { workers: 1 });
    });

    afterEach(async () => {
      await pool.close();
      database.close();
      directory.remove();
    });

    void test('copies the state between two commands while commands keep being applied', async () => {
      await pool.exclusive(() =>
        database.apply(statements('execute', ['CREATE TABLE a(n)', 'CREATE TABLE b(n)'])),
      );
      // Each command inserts into a, then into b, committing each: a copy taken inside a command would
      // hold one more row in a than in b.
      let applied = 0;
      let stop = false;
      const writer = (async () => {
        for (let command = 0; command < 20_000 && !stop; command++) {
          await pool.exclusive(() =>
            database.apply(
              statements('execute', [
                `INSERT INTO a VALUES (${command})`,
                `INSERT INTO b VALUES (${command})`,
              ]),
            ),
          );
          applied++;
          // Applies resolve through microtasks alone; yielding lets the copies (and timers) run between.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      let overlapped = 0;
      try {
        for (let copy = 0; copy < 8; copy++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const file = path.join(directory.path, `copy-${copy}.sqlite`);
          const before = applied;
          await copyLiveDatabase(pool, database, file);
          const after = applied;
          if (after > before) overlapped++;
          const copied = counts(file);
          assert.equal(copied.a, copied.b, `copy ${copy} holds half a command`);
          assert.ok(copied.a >= before && copied.a <= after, `${before} <= ${copied.a} <= ${after}`);
          assert.equal(copied.integrity, 'ok');
          assert.deepEqual(copied.header, [1, 1]);
        }
      } finally {
        stop = true;
        await writer;
      }
      // On disk the applies go on beside the copy; in memory they wait for it (see backup-copy.ts).
      if (mode === 'disk') assert.ok(overlapped > 0, 'commands were applied while copies were being made');
      assert.ok(applied > 0);
    });

    void test('a snapshot file shows exactly the state its capture saw, while writes go on', async () => {
      await pool.exclusive(() =>
        database.apply(
          statements('execute', [
            'CREATE TABLE t (v)',
            'WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 2000) INSERT INTO t SELECT v FROM n',
          ]),
        ),
      );
      const count = (): bigint => {
        const [result] = database.query([statement('SELECT count(*) FROM t')], { transaction: false });
        assert.ok(result?.kind === 'rows');
        return result.rows[0]![0] as bigint;
      };
      const file = path.join(directory.path, 'snapshot.sqlite');
      const taking = snapshotToFile(pool, database, file, count);
      // Writes asked for after the snapshot are applied once it is pinned (on disk while the copy is made).
      const writing = Promise.all(
        Array.from({ length: 20 }, (_unused, index) =>
          pool.exclusive(() =>
            database.apply(statements('execute', [`INSERT INTO t VALUES (${10_000 + index})`])),
          ),
        ),
      );
      const captured = await taking;
      await writing;
      assert.equal(captured, 2000n);
      assert.equal(count(), 2020n);
      const copy = new Database(file, { readonly: true, fileMustExist: true });
      try {
        assert.deepEqual(copy.prepare('SELECT count(*), max(v) FROM t').raw().get(), [2000, 2000]);
      } finally {
        copy.close();
      }
      assert.deepEqual([...fs.readFileSync(file).subarray(18, 20)], [1, 1]);
    });

    void test('a snapshot file is refused while a client transaction is open, in both modes', async () => {
      await pool.exclusive(() =>
        database.apply(statements('execute', ['CREATE TABLE a(n)', 'BEGIN', 'INSERT INTO a VALUES (1)'])),
      );
      let captures = 0;
      await assert.rejects(
        snapshotToFile(pool, database, path.join(directory.path, 'snapshot.sqlite'), () => captures++),
        (error: unknown) => error instanceof SqliteStateMachineError && error.code === 'transaction_open',
      );
      assert.equal(captures, 0);
      await pool.exclusive(() => database.apply(statements('execute', ['COMMIT'])));
      assert.equal(
        await snapshotToFile(pool, database, path.join(directory.path, 'after.sqlite'), () => 7),
        7,
      );
    });

    void test('a copy that cannot be written fails as io, and the next copy works', async () => {
      await pool.exclusive(() =>
        database.apply(statements('execute', ['CREATE TABLE a(n)', 'CREATE TABLE b(n)'])),
      );
      await assert.rejects(
        snapshotToFile(pool, database, path.join(directory.path, 'missing', 'snapshot.sqlite'), () => 0),
        (error: unknown) => error instanceof SqliteStateMachineError && error.code === 'io',
      );
      // Nothing was left open: commands apply and a copy to a good place holds them.
      await pool.exclusive(() => database.apply(statements('execute', ['INSERT INTO a VALUES (1)'])));
      const file = path.join(directory.path, 'copy.sqlite');
      await copyLiveDatabase(pool, database, file);
      assert.deepEqual(counts(file), { a: 1, b: 0, integrity: 'ok', header: [1, 1] });
    });

    if (mode === 'memory') {
      void test('refuses to copy while a client transaction holds the write lock', async () => {
        await pool.exclusive(() =>
          database.apply(statements('execute', ['CREATE TABLE a(n)', 'BEGIN', 'INSERT INTO a VALUES (1)'])),
        );
        await assert.rejects(
          copyLiveDatabase(pool, database, path.join(directory.path, 'copy.sqlite')),
          (error: unknown) => error instanceof SqliteStateMachineError && error.code === 'transaction_open',
        );
        await pool.exclusive(() => database.apply(statements('execute', ['COMMIT'])));
      });
    }
  });
}

void describe('vacuumDatabaseFile', () => {
  let directory: ReturnType<typeof temporaryDirectory>;

  beforeEach(() => {
    directory = temporaryDirectory();
  });

  afterEach(() => {
    directory.remove();
  });

  void test('writes a compact copy in rollback-journal form, even of a file whose header says WAL', async () => {
    const source = path.join(directory.path, 'source.sqlite');
    const setup = new Database(source);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE a(n); CREATE TABLE b(n); INSERT INTO a VALUES (1); INSERT INTO b VALUES (1);');
    setup.exec(
      'CREATE TABLE filler(v); INSERT INTO filler WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200) SELECT hex(randomblob(1000)) FROM c;',
    );
    setup.exec('DROP TABLE filler');
    setup.close();
    const target = path.join(directory.path, 'target.sqlite');
    await vacuumDatabaseFile(source, target, { check: true });
    const copied = counts(target);
    assert.deepEqual([copied.a, copied.b, copied.integrity], [1, 1, 'ok']);
    assert.deepEqual(copied.header, [1, 1]);
    assert.ok(fs.statSync(target).size < fs.statSync(source).size);
  });

  void test('refuses a damaged file as invalid_image, and a missing one as an io failure', async () => {
    const source = path.join(directory.path, 'damaged.sqlite');
    const setup = new Database(source);
    setup.exec(
      'CREATE TABLE t(v); INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) SELECT hex(randomblob(500)) FROM c;',
    );
    setup.close();
    const bytes = fs.readFileSync(source);
    bytes.fill(0xff, 4096 + 8, 4096 + 200); // scribble over the second page's b-tree header and cells
    fs.writeFileSync(source, bytes);
    await assert.rejects(
      vacuumDatabaseFile(source, path.join(directory.path, 'out.sqlite'), { check: true }),
      (error: unknown) => error instanceof SqliteStateMachineError && error.code === 'invalid_image',
    );
    await assert.rejects(
      vacuumDatabaseFile(path.join(directory.path, 'missing.sqlite'), path.join(directory.path, 'x.sqlite'), {
        check: false,
      }),
      (error: unknown) => error instanceof SqliteStateMachineError,
    );
  });
});
