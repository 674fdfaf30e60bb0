import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { splitStatements } from '../../src/sql/index.js';
import { runs } from './sources.js';

describe('splitStatements', () => {
  it('splits on semicolons and drops empty statements', () => {
    assert.deepEqual(splitStatements('SELECT 1; SELECT 2;;\n ; SELECT 3'), [
      'SELECT 1',
      'SELECT 2',
      'SELECT 3',
    ]);
    assert.deepEqual(splitStatements(''), []);
    assert.deepEqual(splitStatements(' ; -- only a comment\n;/* and another */'), []);
  });

  it('does not split on semicolons inside strings, identifiers or comments', () => {
    assert.deepEqual(splitStatements(`INSERT INTO "a;b" VALUES('x;y', [c;d]) -- e;f\n; SELECT /* ; */ 2`), [
      `INSERT INTO "a;b" VALUES('x;y', [c;d]) -- e;f`,
      'SELECT /* ; */ 2',
    ]);
  });

  it('keeps a CREATE TRIGGER together with the statements of its body', () => {
    const trigger =
      'CREATE TEMP TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN ' +
      "INSERT INTO log VALUES(new.a, ';'); UPDATE t SET b = CASE WHEN 1 THEN 2 END; END";
    assert.deepEqual(splitStatements(`SELECT 1; ${trigger}; SELECT 2`), ['SELECT 1', trigger, 'SELECT 2']);
  });

  it('recognizes EXPLAIN CREATE TRIGGER and lower-case keywords', () => {
    const trigger = 'explain create trigger tr before delete on t begin select 1; select 2; end';
    assert.deepEqual(splitStatements(`${trigger};select 3`), [trigger, 'select 3']);
  });

  it('does not mistake a table or column called trigger for a trigger', () => {
    assert.deepEqual(splitStatements('CREATE TABLE "trigger"(a); SELECT trigger FROM t; SELECT 2'), [
      'CREATE TABLE "trigger"(a)',
      'SELECT trigger FROM t',
      'SELECT 2',
    ]);
  });

  it('keeps an unfinished trigger as one statement', () => {
    assert.deepEqual(splitStatements('CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2'), [
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2',
    ]);
  });

  it('trims whitespace by tokens, so a non-ASCII space that belongs to a name stays', () => {
    assert.deepEqual(splitStatements(' \n SELECT a\u00a0 ;'), ['SELECT a\u00a0']);
  });

  it('gives pieces that SQLite prepares one at a time, and that run like the whole string', () => {
    const statements = [
      'CREATE TABLE t(a, b)',
      "INSERT INTO t VALUES(1, 'x;y')",
      'CREATE TABLE "log;"(v)',
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO "log;" VALUES(new.a); INSERT INTO "log;" VALUES(-new.a); END',
      'INSERT INTO t VALUES(2, /* ; */ 3)',
      "-- a comment; with a semicolon\nUPDATE t SET b = b || ';'",
      "CREATE VIEW v AS SELECT a FROM t WHERE b <> ';'",
    ];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(statements.slice(4), { minLength: 0 }),
        fc.constantFrom(';', ';\n', ' ; ', ';;', '; -- c\n'),
        (tail, separator) => {
          const script = [...statements.slice(0, 4), ...tail].join(separator);
          const whole = new Database(':memory:');
          const pieces = new Database(':memory:');
          try {
            whole.exec(script);
            const split = splitStatements(script);
            assert.equal(split.length, 4 + tail.length);
            for (const piece of split) pieces.prepare(piece).run();
            const dump = (db: Database.Database): unknown => [
              db.prepare('SELECT * FROM t ORDER BY a').all(),
              db.prepare('SELECT * FROM "log;" ORDER BY v').all(),
            ];
            assert.deepEqual(dump(pieces), dump(whole));
          } finally {
            whole.close();
            pieces.close();
          }
        },
      ),
      runs(50),
    );
  });
});
