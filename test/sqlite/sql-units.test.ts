import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import Database from 'better-sqlite3';
import fc from 'fast-check';

import { parameterLayoutOf, splitSqlUnits } from '../../src/sqlite/sql-units.js';

void describe('splitSqlUnits: the pieces successive sqlite3_prepare calls compile', () => {
  void test('a single statement is one piece, with or without its semicolon', () => {
    assert.deepEqual(
      splitSqlUnits('SELECT 1').map((unit) => unit.text),
      ['SELECT 1'],
    );
    assert.deepEqual(
      splitSqlUnits('SELECT 1;').map((unit) => unit.text),
      ['SELECT 1;'],
    );
  });

  void test('statements are cut after their semicolon and the rest is trimmed of white space', () => {
    const units = splitSqlUnits('INSERT INTO t VALUES (1);  \n INSERT INTO t VALUES (2) ; ');
    assert.deepEqual(
      units.map((unit) => [unit.text, unit.hasStatement]),
      [
        ['INSERT INTO t VALUES (1);', true],
        ['INSERT INTO t VALUES (2) ;', true],
      ],
    );
  });

  void test('semicolons inside strings, identifiers, comments and blobs do not end a statement', () => {
    const sql = `SELECT 'a;b', "c;d", [e;f], \`g;h\`, x'3b' /* ; */ -- ;\n; SELECT 2`;
    const units = splitSqlUnits(sql);
    assert.equal(units.length, 2);
    assert.equal(units[1]!.text, 'SELECT 2');
  });

  void test('escaped quotes stay inside their string', () => {
    const units = splitSqlUnits('SELECT \'it\'\'s; fine\'; SELECT "a"";"');
    assert.deepEqual(
      units.map((unit) => unit.text),
      ["SELECT 'it''s; fine';", 'SELECT "a"";"'],
    );
  });

  void test('a trigger body keeps its semicolons until ";END;"', () => {
    const sql =
      'CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET v = 1; SELECT CASE WHEN 1 THEN 2 END; END; SELECT 3';
    const units = splitSqlUnits(sql);
    assert.equal(units.length, 2);
    assert.ok(units[0]!.text.endsWith('END; END;'));
    assert.equal(units[1]!.text, 'SELECT 3');
  });

  void test('a trailing comment or stray semicolons form a last piece without a statement', () => {
    const units = splitSqlUnits('SELECT 1; -- done');
    assert.deepEqual(
      units.map((unit) => [unit.text, unit.hasStatement]),
      [
        ['SELECT 1;', true],
        ['-- done', false],
      ],
    );
    assert.deepEqual(
      splitSqlUnits(';;').map((unit) => unit.hasStatement),
      [false],
    );
    assert.deepEqual(
      splitSqlUnits('  ').map((unit) => unit.hasStatement),
      [false],
    );
  });

  void test('leading semicolons belong to the statement after them', () => {
    assert.deepEqual(
      splitSqlUnits(';; SELECT 1; SELECT 2').map((unit) => unit.text),
      [';; SELECT 1;', 'SELECT 2'],
    );
  });

  void test('every piece with a statement compiles as exactly one statement in SQLite', () => {
    const database = new Database(':memory:');
    database.exec('CREATE TABLE t (v)');
    const fragment = fc.constantFrom(
      'SELECT 1',
      "SELECT 'x;y'",
      'SELECT "v" FROM t',
      'SELECT [v] FROM t',
      "INSERT INTO t VALUES (x'3b3b')",
      'SELECT 1 /* ; */',
      'SELECT 2 -- ;\n',
      'CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END',
      'EXPLAIN SELECT 1',
      'WITH c(n) AS (SELECT 1) SELECT n FROM c',
    );
    const separator = fc.constantFrom(';', '; ', ';\n', ' ;; ', '; -- c\n');
    fc.assert(
      fc.property(fc.array(fc.tuple(fragment, separator), { minLength: 1, maxLength: 6 }), (parts) => {
        const sql = parts.map(([text, end]) => text + end).join('');
        const units = splitSqlUnits(sql).filter((unit) => unit.hasStatement);
        assert.equal(units.length, parts.length, sql);
        for (const unit of units) database.prepare(unit.text); // throws on zero or several statements
      }),
      { numRuns: 300 },
    );
    database.close();
  });
});

void describe('parameterLayoutOf: SQLite numbering of parameters', () => {
  void test('anonymous parameters are numbered in order', () => {
    assert.deepEqual(parameterLayoutOf('SELECT ?, ?, ?'), {
      count: 3,
      names: [null, null, null],
      positionalOnly: true,
    });
  });

  void test('named parameters take the next number once, by their exact spelling', () => {
    assert.deepEqual(parameterLayoutOf('SELECT :a, @b, $c, :a, @a'), {
      count: 4,
      names: [':a', '@b', '$c', '@a'],
      positionalOnly: false,
    });
  });

  void test('numbered parameters set the count and leave gaps unnamed', () => {
    assert.deepEqual(parameterLayoutOf('SELECT ?3, ?'), {
      count: 4,
      names: [null, null, '?3', null],
      positionalOnly: false,
    });
  });

  void test('placeholders inside strings and comments are not parameters', () => {
    assert.deepEqual(parameterLayoutOf("SELECT '?', ':a' -- ?\n, ? /* :b */"), {
      count: 1,
      names: [null],
      positionalOnly: true,
    });
  });

  void test('the layout matches what better-sqlite3 accepts for random mixes', () => {
    const database = new Database(':memory:');
    const placeholder = fc.constantFrom('?', '?1', '?2', '?5', ':a', ':b', '@a', '$c', "'?'", '1');
    fc.assert(
      fc.property(fc.array(placeholder, { minLength: 1, maxLength: 8 }), (items) => {
        const sql = `SELECT ${items.join(', ')}`;
        const layout = parameterLayoutOf(sql);
        const anonymous = layout.names.filter((name) => name === null).map(() => 1);
        const named = Object.fromEntries(
          layout.names.filter((name): name is string => name !== null).map((name) => [name.slice(1), 2]),
        );
        // better-sqlite3 throws unless exactly one value is given per parameter.
        const row = database
          .prepare(sql)
          .raw(true)
          .get(...anonymous, named);
        assert.ok(Array.isArray(row), sql);
      }),
      { numRuns: 300 },
    );
    database.close();
  });
});
