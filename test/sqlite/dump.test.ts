// The SQL dump against the `sqlite3` shell's own .dump: the same bytes where the shell writes values
// exactly, and, for the values it does not (reals past 17 digits, text with NUL), the same database
// once replayed. Tests that need the `sqlite3` command-line shell are skipped, saying so, when it is
// not installed; the value round trips run against the SQLite built into better-sqlite3 everywhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import Database from 'better-sqlite3';
import fc from 'fast-check';

import { sqlDump } from '../../src/sqlite/dump.js';
import { dumpName, realLiteral, textLiteral } from '../../src/sqlite/dump-literals.js';
import { dumpDatabaseFile } from '../../src/sqlite/dump-stream.js';
import { temporaryDirectory } from './support.js';

const cliMissing = (() => {
  const probe = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  return probe.status === 0
    ? false
    : 'the sqlite3 command-line shell is not installed (Debian: apt-get install sqlite3)';
})();

/** Runs the sqlite3 shell on `file` with `input` on stdin and returns its standard output as bytes. */
function sqlite3(file: string, input: string | Buffer, args: readonly string[] = []): Buffer {
  const run = spawnSync('sqlite3', ['-bail', ...args, file], { input, maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`sqlite3 failed: ${run.stderr.toString()}`);
  return run.stdout;
}

function dumpOf(file: string, tables: readonly string[] = [], chunkBytes = 97): Buffer {
  const connection = new Database(file, { readonly: true, fileMustExist: true });
  try {
    connection.defaultSafeIntegers(true);
    return Buffer.concat([...sqlDump(connection, { tables, chunkBytes })]);
  } finally {
    connection.close();
  }
}

// Everything .dump handles, with values the shell writes exactly: names that need quotes, keywords,
// text with quotes and line breaks (and with the shell's escape markers already in it), blobs, integer
// extremes, integral and binary-exact reals, infinities, AUTOINCREMENT, WITHOUT ROWID, generated
// columns, comments in definitions, views, triggers, indexes, a virtual table and ANALYZE statistics.
const richSchema = `
CREATE TABLE plain(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);
INSERT INTO plain(name, score, data) VALUES
  ('fiona', 0.5, x'0a0b'), ('it''s', -1.25, x''), (NULL, 1e999, NULL), ('', -1e999, x'00ff'),
  ('a' || char(10) || 'b', 100.0, NULL), ('c' || char(13) || 'd', 3.0e18, NULL),
  ('e' || char(13, 10) || 'f', -9.0e18, NULL), ('lit \\n and' || char(10), 1e19, NULL),
  ('lit \\n \\012' || char(10), 2.5e-3, NULL), ('\\r \\015 (\\r0)' || char(13), 0.0, NULL),
  ('héllo ☃', 65536.0, NULL);
INSERT INTO plain(name, score) VALUES (9223372036854775807, 1), (-9223372036854775808, 2);
CREATE TABLE "order"(a);
INSERT INTO "order" VALUES (1);
CREATE TABLE key(a);
INSERT INTO key VALUES (2);
CREATE TABLE "my table"("a b", "c""d");
INSERT INTO "my table" VALUES ('x', 'y');
CREATE TABLE "1st"(a);
INSERT INTO "1st" VALUES (3);
CREATE TABLE "héllo"(a);
INSERT INTO "héllo" VALUES (4);
CREATE TABLE counters(id INTEGER PRIMARY KEY AUTOINCREMENT, v);
INSERT INTO counters(v) VALUES (1), (2), (3);
DELETE FROM counters WHERE id = 3;
CREATE TABLE pairs(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO pairs VALUES ('b', 1), ('a', 2);
CREATE TABLE derived(a, b AS (a * 2), c GENERATED ALWAYS AS (a + 1) STORED);
INSERT INTO derived(a) VALUES (5);
CREATE TABLE commented(a) -- a comment after the definition
;
CREATE TABLE inner_comment(a -- inside
, b /* also inside */);
CREATE VIEW recent AS SELECT * FROM plain -- newest first
;
CREATE TRIGGER plain_added AFTER INSERT ON plain BEGIN INSERT INTO "order" VALUES (new.id); END;
CREATE INDEX plain_name ON plain(name);
CREATE VIRTUAL TABLE notes USING fts5(body);
INSERT INTO notes VALUES ('hello world');
ANALYZE;
`;

void describe('SQL dump', () => {
  let directory: ReturnType<typeof temporaryDirectory>;

  beforeEach(() => {
    directory = temporaryDirectory();
  });

  afterEach(() => {
    directory.remove();
  });

  void test('writes the bytes sqlite3 .dump writes', { skip: cliMissing }, () => {
    const file = path.join(directory.path, 'rich.db');
    sqlite3(file, richSchema);
    const expected = sqlite3(file, '.dump\n');
    assert.equal(dumpOf(file).toString('utf8'), expected.toString('utf8'));
    assert.ok(dumpOf(file).equals(expected));
  });

  void test('writes an empty database as sqlite3 does', { skip: cliMissing }, () => {
    const file = path.join(directory.path, 'empty.db');
    sqlite3(file, 'CREATE TABLE t(a); DROP TABLE t;');
    assert.equal(dumpOf(file).toString(), 'PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n');
    assert.ok(dumpOf(file).equals(sqlite3(file, '.dump\n')));
  });

  void test('replays in sqlite3 into a database whose own dump is the same', { skip: cliMissing }, () => {
    const original = path.join(directory.path, 'original.db');
    // Values sqlite3's dump alters or writes inexactly: reals needing 17 digits, text holding NUL or
    // bytes that are not UTF-8.
    sqlite3(
      original,
      `${richSchema}
      CREATE TABLE awkward(r REAL, t TEXT);
      INSERT INTO awkward VALUES (0.1, CAST(x'610062' AS TEXT)), (123456789.123, CAST(x'fffe41' AS TEXT)),
        (1e-7, 'x'), (2.2250738585072014e-308, 'y'), (1.7976931348623157e308, 'z'), (-3.14159, 'w');`,
    );
    const replayed = path.join(directory.path, 'replayed.db');
    sqlite3(replayed, dumpOf(original));
    assert.ok(sqlite3(replayed, '.dump\n').equals(sqlite3(original, '.dump\n')));
    // The values themselves, read back exactly (the shell's own dump would cut the NUL text short).
    const read = (file: string): unknown[] => {
      const connection = new Database(file, { readonly: true });
      try {
        return connection.prepare('SELECT r, hex(CAST(t AS BLOB)) FROM awkward ORDER BY rowid').raw().all();
      } finally {
        connection.close();
      }
    };
    assert.deepEqual(read(replayed), read(original));
  });

  void test('quotes exactly the names sqlite3 quotes, keywords included', { skip: cliMissing }, () => {
    const file = path.join(directory.path, 'names.db');
    const names = [
      'abort',
      'Select',
      'KEY',
      'rowid',
      'oid',
      'main',
      'x1',
      '_y',
      'a$b',
      'ÿ',
      'WITHOUT',
      'then',
    ];
    sqlite3(
      file,
      names.map((name) => `CREATE TABLE "${name}"(a); INSERT INTO "${name}" VALUES (1);`).join('\n'),
    );
    const inserts = sqlite3(file, '.dump\n')
      .toString()
      .split('\n')
      .filter((line) => line.startsWith('INSERT INTO'));
    assert.deepEqual(
      inserts,
      names.map((name) => `INSERT INTO ${dumpName(name)} VALUES(1);`),
    );
  });

  void test('dumps the tables asked for, with their indexes, triggers and virtual-table shadows', () => {
    const file = path.join(directory.path, 'some.db');
    const setup = new Database(file);
    setup.exec(`
      CREATE TABLE a(x); INSERT INTO a VALUES (1);
      CREATE TABLE b(y); INSERT INTO b VALUES (2);
      CREATE INDEX a_x ON a(x);
      CREATE INDEX b_y ON b(y);
      CREATE TRIGGER a_added AFTER INSERT ON a BEGIN SELECT 1; END;
      CREATE VIEW v AS SELECT * FROM b;
      CREATE VIRTUAL TABLE docs USING fts5(body);
      INSERT INTO docs VALUES ('text');
    `);
    setup.close();
    const dump = dumpOf(file, ['a', 'docs', 'v', 'missing']).toString();
    assert.match(dump, /^CREATE TABLE a\(x\);\nINSERT INTO a VALUES\(1\);$/m);
    assert.match(dump, /^CREATE INDEX a_x ON a\(x\);$/m);
    assert.match(dump, /^CREATE TRIGGER a_added /m);
    assert.match(dump, /^CREATE VIEW v AS SELECT \* FROM b;$/m);
    assert.match(
      dump,
      /^INSERT INTO sqlite_schema\(type,name,tbl_name,rootpage,sql\)VALUES\('table','docs'/m,
    );
    assert.match(dump, /^CREATE TABLE IF NOT EXISTS 'docs_content'/m);
    assert.doesNotMatch(dump, /CREATE TABLE b|b_y|INSERT INTO b /);
    assert.ok(dump.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n'));
    assert.ok(dump.endsWith('PRAGMA writable_schema=OFF;\nCOMMIT;\n'));
  });

  void test('writes every REAL so that SQLite reads back the same number', () => {
    const connection = new Database(':memory:');
    try {
      const readBack = (literal: string): number =>
        connection.prepare(`SELECT ${literal}`).pluck().get() as number;
      for (const value of [
        0.1,
        -0.5,
        1e-5,
        1e-4,
        123.456,
        1e20,
        1e21,
        2 ** 63,
        -(2 ** 63),
        5e-324,
        1.7976931348623157e308,
      ]) {
        assert.equal(readBack(realLiteral(value)), value, realLiteral(value));
      }
      assert.equal(realLiteral(0.5), '0.5');
      assert.equal(realLiteral(100), '100.0');
      assert.equal(realLiteral(1e20), '1.0e+20');
      assert.equal(realLiteral(0.1), '0.10000000000000000555');
      assert.equal(realLiteral(-(2 ** 63)), '-9223372036854775808.0');
      assert.equal(realLiteral(Number.POSITIVE_INFINITY), '1e999');
      fc.assert(
        fc.property(fc.double({ noNaN: true }), (value) => {
          const back = readBack(realLiteral(value));
          // -0.0 is written 0.0, as sqlite3 writes it; SQLite compares them equal.
          return back === value;
        }),
        { numRuns: 3000 },
      );
    } finally {
      connection.close();
    }
  });

  void test('writes every TEXT so that SQLite reads back the same bytes, on one line', () => {
    const connection = new Database(':memory:');
    try {
      // The literal is valid UTF-8 whenever the text is (text that is not is checked through sqlite3 above).
      const readBack = (literal: Buffer): Buffer =>
        connection
          .prepare(`SELECT CAST(${literal.toString('utf8')} AS BLOB)`)
          .pluck()
          .get() as Buffer;
      const alphabet = fc.constantFrom(
        ...["'", '\n', '\r', '\\', 'n', 'r', '0', '1', '(', ')', 'a', 'é', '\u0000'],
      );
      fc.assert(
        fc.property(fc.array(alphabet, { maxLength: 24 }), (characters) => {
          const bytes = Buffer.from(characters.join(''), 'utf8');
          const literal = textLiteral(bytes);
          assert.ok(!literal.includes(0x0a) && !literal.includes(0x0d), literal.toString());
          assert.ok(readBack(literal).equals(bytes), literal.toString());
        }),
        { numRuns: 2000 },
      );
    } finally {
      connection.close();
    }
  });

  void test('streams the dump from a worker, chunk by chunk, and stops when destroyed', async () => {
    const file = path.join(directory.path, 'rows.db');
    const setup = new Database(file);
    setup.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    const insert = setup.prepare('INSERT INTO t(v) VALUES (?)');
    setup.transaction(() => {
      for (let row = 0; row < 5000; row++) insert.run(`row ${row} ${'x'.repeat(row % 50)}`);
    })();
    setup.close();

    const chunks: Buffer[] = [];
    for await (const chunk of dumpDatabaseFile(file, { tables: [], chunkBytes: 4096 })) {
      chunks.push(chunk as Buffer);
    }
    assert.ok(chunks.length > 10, `${chunks.length} chunks`);
    assert.ok(chunks.every((chunk) => chunk.length <= 4096 + 200));
    assert.ok(Buffer.concat(chunks).equals(dumpOf(file, [], 4096)));

    // A reader that goes away after the first chunk: the stream closes without an error.
    const stream = dumpDatabaseFile(file, { tables: [] });
    const first: unknown = await new Promise((resolve) => stream.once('data', resolve));
    assert.ok(first instanceof Buffer);
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.destroy();
    await closed;

    // A file that is not a database makes the stream fail with a clear error.
    const bogus = path.join(directory.path, 'bogus.db');
    fs.writeFileSync(bogus, 'not a database at all, just some text that is long enough to be read');
    await assert.rejects(
      (async () => {
        for await (const chunk of dumpDatabaseFile(bogus, { tables: [] })) void chunk;
      })(),
      /the SQL dump failed: file is not a database/,
    );
  });
});
