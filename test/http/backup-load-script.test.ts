// The splitter behind SQL loads: statement ends where SQLite's sqlite3_complete() puts them (checked
// against the project's tokenizer-based splitter on random scripts), lines for error messages, and the
// script's own transaction control taken out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { LoadScriptError, loadScriptStatements, splitScript } from '../../src/http/load-script.js';
import { splitStatements } from '../../src/sql/index.js';

void describe('splitScript', () => {
  void test('ends statements at semicolons outside strings, names, comments and trigger bodies', () => {
    const script = [
      'INSERT INTO t VALUES(\'a;b\', "c;d", [e;f], `g;h`); -- a comment; with a semicolon',
      '/* a block; comment */ CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN',
      '  SELECT CASE WHEN new.a THEN 1 END;',
      '  INSERT INTO u VALUES(1);',
      'END;',
      ';;',
      "SELECT 'it''s';",
      'SELECT 1',
    ].join('\n');
    const statements = splitScript(script);
    assert.deepEqual(
      statements.map((statement) => [statement.line, statement.sql]),
      [
        [1, 'INSERT INTO t VALUES(\'a;b\', "c;d", [e;f], `g;h`)'],
        [
          2,
          'CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT CASE WHEN new.a THEN 1 END;\n  INSERT INTO u VALUES(1);\nEND',
        ],
        [7, "SELECT 'it''s'"],
        [8, 'SELECT 1'],
      ],
    );
    assert.deepEqual(statements[1]?.words, ['CREATE', 'TEMP', 'TRIGGER']);
  });

  void test('counts lines inside strings and comments that span them', () => {
    const statements = splitScript("SELECT 'one\ntwo';\n/* three\nfour */ SELECT 2;\n-- five\nSELECT 3;");
    assert.deepEqual(
      statements.map((statement) => statement.line),
      [1, 4, 6],
    );
  });

  void test('finds the same statements as the tokenizer-based splitter', () => {
    const pieces = fc.constantFrom(
      'SELECT 1',
      "'a;b'",
      "'it''s'",
      '"x;y"',
      '[c;d]',
      '`e;f`',
      '-- c;\n',
      '/* ; */',
      ';',
      ' ',
      '\n',
      'CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END',
      'CREATE',
      'TRIGGER',
      'TEMP',
      'EXPLAIN',
      'BEGIN',
      'END',
      'x',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 16 }), (parts) => {
        const script = parts.join(' ');
        const ours = splitScript(script).map((statement) => statement.sql);
        // The tokenizer's splitter keeps comments that lead a statement; ours starts at its first word.
        const theirs = splitStatements(script).map((statement) =>
          statement.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$))*/, '').trimEnd(),
        );
        assert.deepEqual(
          ours,
          theirs.filter((statement) => statement !== ''),
          JSON.stringify(script),
        );
      }),
      { numRuns: 3000 },
    );
  });
});

void describe('loadScriptStatements', () => {
  void test('drops the script’s own transaction control and keeps savepoints', () => {
    const kept = loadScriptStatements(
      [
        'BEGIN IMMEDIATE TRANSACTION;',
        'CREATE TABLE t(a);',
        'SAVEPOINT s;',
        'INSERT INTO t VALUES(1);',
        'ROLLBACK TRANSACTION TO SAVEPOINT s;',
        'RELEASE s;',
        'commit;',
        'begin; end transaction;',
      ].join('\n'),
    );
    assert.deepEqual(
      kept.map((statement) => statement.sql),
      [
        'CREATE TABLE t(a)',
        'SAVEPOINT s',
        'INSERT INTO t VALUES(1)',
        'ROLLBACK TRANSACTION TO SAVEPOINT s',
        'RELEASE s',
      ],
    );
  });

  void test('refuses a ROLLBACK, which could only undo part of an all-or-nothing load', () => {
    assert.throws(
      () => loadScriptStatements('BEGIN;\nCREATE TABLE t(a);\nROLLBACK; -- due to errors\n'),
      (error: unknown) => error instanceof LoadScriptError && /ROLLBACK at line 3/.test(error.message),
    );
  });

  void test('splits a large dump in linear time', () => {
    const row = "INSERT INTO t VALUES(1,'hello; world',2.5,X'0a0b');\n";
    const small = row.repeat(10_000);
    const large = row.repeat(200_000);
    const timed = (script: string): number => {
      const startedMs = performance.now();
      assert.equal(loadScriptStatements(script).length, script.length / row.length);
      return performance.now() - startedMs;
    };
    timed(small); // warm up
    const smallMs = timed(small);
    const largeMs = timed(large);
    // Twenty times the text may take at most a hundred times as long (linear with noise, not quadratic).
    assert.ok(
      largeMs < Math.max(50, smallMs) * 100,
      `${smallMs} ms for 10k rows, ${largeMs} ms for 200k rows`,
    );
  });
});
