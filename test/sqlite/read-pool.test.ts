import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import type { StatementResult } from '../../src/command/types.js';
import { SqliteDatabase } from '../../src/sqlite/database.js';
import { ReadPool, ReadPoolError } from '../../src/sqlite/read-pool.js';
import { statement, statements, temporaryDirectory } from './support.js';

/** A recursive CTE long enough to take about `seconds` on this machine, measured on the spot. */
function slowQuery(seconds: number): string {
  const probe = new Database(':memory:');
  const sample = 500_000;
  const startedMs = performance.now();
  probe
    .prepare(
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${sample}) SELECT count(*) FROM c`,
    )
    .get();
  const perRowMs = (performance.now() - startedMs) / sample;
  probe.close();
  const rowsWanted = Math.min(200_000_000, Math.max(sample, Math.round((seconds * 1000) / perRowMs)));
  return `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rowsWanted}) SELECT count(*) FROM c`;
}

function only(results: StatementResult[], index = 0): StatementResult {
  const result = results[index];
  assert.ok(result !== undefined);
  return result;
}

for (const mode of ['memory', 'disk'] as const) {
  void describe(`ReadPool (${mode})`, () => {
    let directory: ReturnType<typeof temporaryDirectory>;
    let database: SqliteDatabase;
    let pool: ReadPool | undefined;

    beforeEach(() => {
      directory = temporaryDirectory();
      database =
        mode === 'memory'
          ? new SqliteDatabase({ mode, foreignKeys: false })
          : new SqliteDatabase({ mode, path: path.join(directory.path, 'db.sqlite'), foreignKeys: false });
    });

    afterEach(async () => {
      await pool?.close();
      pool = undefined;
      database.close();
      directory.remove();
    });

    const apply = (list: Parameters<typeof statements>[1], transaction = false) =>
      pool!.exclusive(() => database.apply(statements('execute', list, transaction)));

    void test('values cross the thread boundary exactly', async () => {
      pool = new ReadPool(database, { workers: 1 });
      const allBytes = Uint8Array.from({ length: 256 }, (_unused, index) => index);
      await apply([
        'CREATE TABLE t (i INTEGER, b BLOB, d DATETIME, f BOOLEAN, r REAL, s TEXT)',
        statement('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', {
          positional: [9_223_372_036_854_775_807n, allBytes, 1_700_000_000n, 1n, 0.1, 'é😀'],
        }),
      ]);
      const [result] = await pool.query([statement('SELECT * FROM t')], { transaction: false, timeoutMs: 0 });
      assert.ok(result?.kind === 'rows');
      assert.deepEqual(result.types, ['integer', 'blob', 'datetime', 'boolean', 'real', 'text']);
      assert.deepEqual(result.rows, [
        [9_223_372_036_854_775_807n, allBytes, '2023-11-14T22:13:20Z', true, 0.1, 'é😀'],
      ]);
      assert.deepEqual(
        result.rows,
        database
          .query([statement('SELECT * FROM t')], { transaction: false })
          .map((r) => (r.kind === 'rows' ? r.rows : []))[0],
      );
    });

    void test('workers start as reads need them, not before', async () => {
      pool = new ReadPool(database, { workers: 2 });
      await apply(['CREATE TABLE t (id INTEGER PRIMARY KEY, v)', 'INSERT INTO t VALUES (1, 2)']);
      const point = await pool.query([statement('SELECT v FROM t WHERE id = 1')], {
        transaction: false,
        timeoutMs: 0,
      });
      assert.equal(only(point).kind, 'rows');
      assert.deepEqual(pool.stats(), { workers: 0, busy: 0, queued: 0, abandoned: 0, inline: 1 });
      const scan = await pool.query([statement('SELECT count(*) FROM t')], {
        transaction: false,
        timeoutMs: 0,
      });
      assert.equal(only(scan).kind, 'rows');
      assert.equal(pool.stats().workers, 1, 'one read at a time needs one worker');
      // Reads at the same time start the rest of the pool, and no more.
      const together = await Promise.all(
        [1, 2, 3].map(() => pool!.query([statement(slowQuery(0.2))], { transaction: false, timeoutMs: 0 })),
      );
      for (const results of together) assert.equal(only(results).kind, 'rows');
      assert.equal(pool.stats().workers, 2);
    });

    void test('writes sent to a read are refused, per statement', async () => {
      pool = new ReadPool(database, { workers: 1 });
      await apply(['CREATE TABLE t (v)']);
      const results = await pool.query(
        [statement('INSERT INTO t VALUES (1)'), statement('SELECT count(*) FROM t')],
        {
          transaction: false,
          timeoutMs: 0,
        },
      );
      assert.deepEqual(only(results), {
        kind: 'error',
        error: 'attempt to change database via query operation',
      });
      assert.equal(only(results, 1).kind, 'rows');
    });

    void test("a long read does not hold up the main thread's timers", async () => {
      pool = new ReadPool(database, { workers: 1 });
      const sql = slowQuery(3);
      let lastTickMs = performance.now();
      let worstLatenessMs = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        worstLatenessMs = Math.max(worstLatenessMs, now - lastTickMs - 10);
        lastTickMs = now;
      }, 10);
      const startedMs = performance.now();
      try {
        const [result] = await pool.query([statement(sql)], { transaction: false, timeoutMs: 0 });
        assert.equal(result?.kind, 'rows');
      } finally {
        clearInterval(ticker);
      }
      const tookMs = performance.now() - startedMs;
      // The query ran for seconds. Had it run on the main thread, the timer would have been late by all
      // of it; it was late by no more than scheduling noise (the bound leaves room for a loaded machine).
      assert.ok(tookMs > 400, `the query should take a while, took ${tookMs} ms`);
      assert.ok(
        worstLatenessMs < Math.min(500, tookMs / 4),
        `a 10 ms timer was ${worstLatenessMs} ms late during a ${tookMs} ms query`,
      );
    });

    void test('a read past its timeout answers "query timeout" for the statements not done, and the pool recovers', async () => {
      pool = new ReadPool(database, { workers: 1, graceMs: 20 });
      const sql = slowQuery(3);
      const startedMs = performance.now();
      const results = await pool.query([statement('SELECT 1'), statement(sql), statement('SELECT 2')], {
        transaction: false,
        timeoutMs: 300,
      });
      const tookMs = performance.now() - startedMs;
      assert.equal(only(results).kind, 'rows');
      assert.deepEqual(only(results, 1), { kind: 'error', error: 'query timeout' });
      assert.deepEqual(only(results, 2), { kind: 'error', error: 'query timeout' });
      assert.ok(tookMs < 2500, `answered after ${tookMs} ms`);
      // A replacement worker serves the next read while the old one finishes its statement.
      const [next] = await pool.query([statement('SELECT 41 + 1')], { transaction: false, timeoutMs: 5000 });
      assert.ok(next?.kind === 'rows');
      assert.deepEqual(next.rows, [[42n]]);
      assert.equal(pool.stats().workers, 1);
    });

    void test('the queue is bounded', async () => {
      pool = new ReadPool(database, { workers: 1, queueMax: 1 });
      const sql = slowQuery(0.5);
      const running = pool.query([statement(sql)], { transaction: false, timeoutMs: 0 });
      // Let the first query reach the worker so that the next one waits in the queue.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const waiting = pool.query([statement('SELECT 1')], { transaction: false, timeoutMs: 0 });
      await assert.rejects(
        pool.query([statement('SELECT 2')], { transaction: false, timeoutMs: 0 }),
        (error: unknown) => error instanceof ReadPoolError && error.code === 'queue_full',
      );
      assert.equal(only(await running).kind, 'rows');
      assert.equal(only(await waiting).kind, 'rows');
    });

    void test('reads never see a command half applied', async () => {
      pool = new ReadPool(database, { workers: 2 });
      await apply(['CREATE TABLE rows_of_commands (v)']);
      const commands = 40;
      const statementsPerCommand = 100;
      const reads: Promise<StatementResult[]>[] = [];
      for (let index = 0; index < commands; index++) {
        // Statements without a transaction: each commits on its own, so a reader that started in the
        // middle of the command would count a number of rows that is not a multiple of the command's.
        const inserts = Array.from(
          { length: statementsPerCommand },
          () => `INSERT INTO rows_of_commands VALUES (${index})`,
        );
        await apply(inserts);
        for (let read = 0; read < 2; read++) {
          reads.push(
            pool.query([statement('SELECT count(*) FROM rows_of_commands')], {
              transaction: false,
              timeoutMs: 0,
            }),
          );
        }
        // Yielding lets finished reads come back, so that workers keep reading while commands apply.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const counts = (await Promise.all(reads)).map((results) => {
        const result = only(results);
        assert.ok(result.kind === 'rows');
        return result.rows[0]?.[0] as bigint;
      });
      for (const count of counts) {
        assert.equal(count % BigInt(statementsPerCommand), 0n, `a read saw ${count} rows: part of a command`);
      }
      assert.equal(counts.at(-1), BigInt(statementsPerCommand * commands));
    });

    void test('after a restore, workers read the new database', async () => {
      pool = new ReadPool(database, { workers: 2 });
      await apply(['CREATE TABLE t (v)', "INSERT INTO t VALUES ('old')"]);
      assert.deepEqual(
        await pool
          .query([statement('SELECT v FROM t')], { transaction: false, timeoutMs: 0 })
          .then((r) => r.map((x) => (x.kind === 'rows' ? x.rows : x))),
        [[['old']]],
      );
      const other = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
      other.apply(statements('execute', ['CREATE TABLE t (v)', "INSERT INTO t VALUES ('new')"]));
      const image = other.snapshot();
      other.close();
      await pool.exclusive(() => database.restore(image));
      for (let round = 0; round < 4; round++) {
        const results: StatementResult[] = await pool.query([statement('SELECT v FROM t')], {
          transaction: false,
          timeoutMs: 0,
        });
        const result = only(results);
        assert.ok(result.kind === 'rows');
        assert.deepEqual(result.rows, [['new']]);
      }
    });

    void test(
      mode === 'memory'
        ? 'a write waits for reads in progress without blocking the event loop'
        : 'a write does not wait for reads in progress',
      async () => {
        pool = new ReadPool(database, { workers: 1 });
        await apply(['CREATE TABLE t (v)']);
        const sql = slowQuery(1);
        let readDone = false;
        const reading = pool.query([statement(sql)], { transaction: false, timeoutMs: 0 }).finally(() => {
          readDone = true;
        });
        // Wait until the worker has marked its read.
        for (let attempt = 0; attempt < 500 && database.gate.readsInProgress === 0; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        let ticks = 0;
        const ticker = setInterval(() => ticks++, 10);
        const readsWhenAsked = database.gate.readsInProgress;
        let readsWhenWriting = -1;
        let writeDoneBeforeRead: boolean;
        const writeStartedMs = performance.now();
        let writeTookMs: number;
        try {
          const [inserted] = await pool.exclusive(() => {
            readsWhenWriting = database.gate.readsInProgress;
            return database.apply(statements('execute', ['INSERT INTO t VALUES (1)']));
          });
          writeTookMs = performance.now() - writeStartedMs;
          writeDoneBeforeRead = !readDone;
          assert.equal(inserted?.kind, 'write');
        } finally {
          clearInterval(ticker);
        }
        assert.equal(only(await reading).kind, 'rows');
        assert.equal(readsWhenAsked, 1, 'the write was asked for while the read was in progress');
        if (mode === 'memory') {
          // The write ran only once the read had ended, and the event loop went on meanwhile: a 10 ms
          // timer fired for (at least a good part of) the time the write waited.
          assert.equal(readsWhenWriting, 0, 'in memory the write waits for the read');
          assert.ok(
            ticks >= Math.floor(writeTookMs / 40),
            `timers kept running while the write waited ${writeTookMs} ms (${ticks} ticks)`,
          );
        } else {
          assert.equal(writeDoneBeforeRead, true, 'on disk the write does not wait for the read');
        }
        assert.deepEqual(
          database
            .query([statement('SELECT count(*) FROM t')], { transaction: false })
            .map((r) => (r.kind === 'rows' ? r.rows : r)),
          [[[1n]]],
        );
      },
    );
  });
}

void describe('ReadPool in memory: a runaway read does not hold writes back', () => {
  void test('the database is moved aside from an abandoned read, and writes go on', async () => {
    const database = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
    const pool = new ReadPool(database, { workers: 1, graceMs: 10 });
    try {
      await pool.exclusive(() =>
        database.apply(statements('execute', ['CREATE TABLE t (v)', 'INSERT INTO t VALUES (1)'])),
      );
      const [timedOut] = await pool.query([statement(slowQuery(4))], { transaction: false, timeoutMs: 100 });
      assert.deepEqual(timedOut, { kind: 'error', error: 'query timeout' });
      const startedMs = performance.now();
      await pool.exclusive(() => database.apply(statements('execute', ['INSERT INTO t VALUES (2)'])));
      const tookMs = performance.now() - startedMs;
      assert.ok(tookMs < 3000, `the write waited ${tookMs} ms for an abandoned read of about 4 s`);
      const [count] = await pool.query([statement('SELECT count(*) FROM t')], {
        transaction: false,
        timeoutMs: 5000,
      });
      assert.ok(count?.kind === 'rows');
      assert.deepEqual(count.rows, [[2n]]);
    } finally {
      await pool.close();
      database.close();
    }
  });

  void test('applying in memory while a worker reads, without the gate, fails loudly', async () => {
    const database = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
    const pool = new ReadPool(database, { workers: 1 });
    try {
      database.apply(statements('execute', ['CREATE TABLE t (v)']));
      const reading = pool.query([statement(slowQuery(0.5))], { transaction: false, timeoutMs: 0 });
      // Wait until the worker has marked its read.
      for (let attempt = 0; attempt < 200 && database.gate.readsInProgress === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(database.gate.readsInProgress, 1);
      assert.throws(
        () => database.apply(statements('execute', ['INSERT INTO t VALUES (1)'])),
        /ReadPool\.exclusive/u,
      );
      await reading;
    } finally {
      await pool.close();
      database.close();
    }
  });
});
