import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { analyze } from '../../src/sql/index.js';

describe('analyze: returning', () => {
  it('finds RETURNING at the top level of a statement, in any case', () => {
    assert.equal(analyze('INSERT INTO t(a) VALUES(1) RETURNING *').returning, true);
    assert.equal(analyze('update t set a = 1 returning a, (select 1)').returning, true);
    assert.equal(analyze('DELETE FROM t /* c */ ReTuRnInG\nrowid').returning, true);
    assert.equal(analyze('SELECT 1; INSERT INTO t VALUES(2) RETURNING a').returning, true);
  });

  it('ignores the word inside strings, quoted identifiers, comments and parentheses', () => {
    for (const sql of [
      "INSERT INTO t VALUES('RETURNING')",
      'SELECT "returning", [returning], `returning` FROM t',
      'SELECT 1 -- RETURNING *',
      'SELECT 1 /* RETURNING */',
      'SELECT (returning) FROM t',
    ]) {
      assert.equal(analyze(sql).returning, false, sql);
    }
  });

  it('agrees with SQLite about which statements return rows', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t(a)');
      for (const sql of [
        'INSERT INTO t VALUES(1) RETURNING a',
        "INSERT INTO t VALUES('returning')",
        'UPDATE t SET a = 2 RETURNING *',
      ]) {
        assert.equal(analyze(sql).returning, db.prepare(sql).reader, sql);
      }
    } finally {
      db.close();
    }
  });
});

describe('analyze: explain', () => {
  it('is true when every statement starts with EXPLAIN or EXPLAIN QUERY PLAN', () => {
    assert.equal(analyze('EXPLAIN SELECT 1').explain, true);
    assert.equal(analyze('  explain query plan INSERT INTO t VALUES(1)').explain, true);
    assert.equal(analyze('-- why\nEXPLAIN SELECT 1; EXPLAIN QUERY PLAN SELECT 2;').explain, true);
  });

  it('is false when any statement does not, or EXPLAIN is not leading', () => {
    assert.equal(analyze('EXPLAIN SELECT 1; INSERT INTO t VALUES(1)').explain, false);
    assert.equal(analyze("SELECT 'EXPLAIN'").explain, false);
    assert.equal(analyze('SELECT explain FROM t').explain, false);
    assert.equal(analyze('"EXPLAIN" SELECT 1').explain, false);
    assert.equal(analyze('').explain, false);
  });
});

describe('analyze: empty', () => {
  it('is true for nothing but whitespace, comments and semicolons', () => {
    for (const sql of ['', '   \n\t', '-- nothing', '/* nothing */', ' ; ;; -- x\n /* y */ ;']) {
      assert.deepEqual(analyze(sql), { returning: false, explain: false, empty: true }, JSON.stringify(sql));
    }
  });

  it('is false as soon as there is a token, even one SQLite rejects', () => {
    assert.equal(analyze('SELECT 1').empty, false);
    assert.equal(analyze("'unterminated").empty, false);
    assert.equal(analyze('; x ;').empty, false);
  });

  it('agrees with SQLite, which refuses to prepare an empty string', () => {
    const db = new Database(':memory:');
    try {
      for (const sql of ['', ' ; ', '-- c', 'SELECT 1']) {
        let prepared = true;
        try {
          db.prepare(sql);
        } catch {
          prepared = false;
        }
        assert.equal(analyze(sql).empty, !prepared, JSON.stringify(sql));
      }
    } finally {
      db.close();
    }
  });
});
