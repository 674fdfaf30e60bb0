import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { SqliteDatabase } from '../../src/sqlite/database.js';
import { ReadPool } from '../../src/sqlite/read-pool.js';
import { statement, statements } from './support.js';

void describe('bounded point reads', () => {
  let database: SqliteDatabase;

  beforeEach(() => {
    database = new SqliteDatabase({ mode: 'memory', foreignKeys: false });
    database.apply(
      statements('execute', [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)',
        'CREATE TABLE u (k TEXT PRIMARY KEY, v TEXT)',
        "INSERT INTO t VALUES (1, 'one'), (2, 'two')",
      ]),
    );
  });

  afterEach(() => database.close());

  const isPoint = (sql: string): boolean => database.arePointReads([statement(sql)]);

  void test('are lookups of one table by its INTEGER PRIMARY KEY with =, in one SELECT without parentheses', () => {
    assert.equal(isPoint('SELECT id, v FROM t WHERE id = ?'), true);
    assert.equal(isPoint('  select v from t as x where x.id = 2'), true);
    assert.equal(isPoint('SELECT * FROM t WHERE rowid = :id'), true);
    assert.equal(isPoint('SELECT v FROM t WHERE id = 1;'), true);
  });

  void test('leave out everything whose cost the plan does not bound', () => {
    for (const sql of [
      'SELECT * FROM t', // a scan
      'SELECT * FROM t WHERE v = ?', // a scan with a filter
      'SELECT * FROM t WHERE id > ?', // a range
      'SELECT * FROM t WHERE id IN (1, 2)', // parentheses
      'SELECT count(*) FROM t WHERE id = 1', // a function call
      'SELECT * FROM t WHERE id = 1; SELECT 1',
      'SELECT * FROM t a, t b WHERE a.id = 1 AND b.id = 2', // a join: two steps
      'SELECT * FROM u WHERE k = ?', // an index, which this rule does not trust
      'SELECT * FROM t WHERE id = ?1', // a numbered parameter
      'SELECT * FROM t WHERE id = 1; -- a comment after the end makes a second piece',
      'SELECT * FROM missing WHERE id = 1', // does not compile
      'PRAGMA table_info = t',
      'EXPLAIN SELECT * FROM t WHERE id = 1',
    ]) {
      assert.equal(isPoint(sql), false, sql);
    }
  });

  void test('are judged again when the schema changes', () => {
    const sql = 'SELECT v FROM t WHERE id = ?';
    assert.equal(isPoint(sql), true);
    database.apply(statements('execute', ['DROP TABLE t', 'CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT)']));
    assert.equal(isPoint(sql), false);
  });

  void test('run on the calling thread through the pool, with the answer a worker would give', async () => {
    const pool = new ReadPool(database, { workers: 1 });
    try {
      const point = [statement('SELECT id, v FROM t WHERE id = ?', { positional: [2n] })];
      const scan = [statement('SELECT id, v FROM t WHERE v = ?', { positional: ['two'] })];
      const [inline] = await pool.query(point, { transaction: false, timeoutMs: 0 });
      assert.equal(pool.stats().inline, 1);
      const [inWorker] = await pool.query(scan, { transaction: false, timeoutMs: 0 });
      assert.equal(pool.stats().inline, 1, 'a scan still goes to a worker');
      assert.ok(inline?.kind === 'rows' && inWorker?.kind === 'rows');
      assert.deepEqual(inline.rows, [[2n, 'two']]);
      assert.deepEqual({ ...inline, seconds: 0 }, { ...inWorker, seconds: 0 });
    } finally {
      await pool.close();
    }
  });
});
