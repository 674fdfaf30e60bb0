import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rewrite } from '../../src/sql/index.js';
import { randomBlobBytesBudget } from '../../src/sql/rewrite.js';
import { randomBlobBytesMax } from '../../src/sql/rewrite-plan.js';
import { fixedSources } from './sources.js';

/** The time value and CURRENT_* values of the fixed clock, 2026-11-22 10:00:00.123 UTC. */
const now = "'2026-11-22 10:00:00.123Z'";
const timestamp = "'2026-11-22 10:00:00'";
const date = "'2026-11-22'";
const time = "'10:00:00'";

function rewritten(sql: string, overrides: Parameters<typeof fixedSources>[0] = {}): string {
  return rewrite(sql, fixedSources(overrides)).sql;
}

function assertUnchanged(sql: string): void {
  const sources = fixedSources();
  const result = rewrite(sql, sources);
  assert.equal(result.sql, sql);
  assert.equal(result.changed, false);
  assert.deepEqual(sources.reads, { int64: 0, bytes: 0, clock: 0 }, 'no source may be read');
}

describe('rewrite: RANDOM()', () => {
  it('replaces each call with its own integer literal', () => {
    const result = rewrite('INSERT INTO t VALUES(random(), RANDOM())', fixedSources({ integers: [5n, 6n] }));
    assert.deepEqual(result, { sql: 'INSERT INTO t VALUES(5, 6)', changed: true });
  });

  it('matches the name in any case, with whitespace and comments before the parentheses', () => {
    assert.equal(rewritten('SELECT RaNdOm /* why */ ( -- not yet\n )'), 'SELECT 123');
  });

  it('writes negative values, including the smallest int64, with their sign', () => {
    assert.equal(rewritten('SELECT random()', { integers: [-123n] }), 'SELECT -123');
    const smallest = -(2n ** 63n);
    assert.equal(rewritten('SELECT random()', { integers: [smallest] }), 'SELECT -9223372036854775808');
  });

  it('keeps a negative literal from running into a minus sign, which would start a comment', () => {
    assert.equal(rewritten('SELECT 5-random()', { integers: [-123n] }), 'SELECT 5- -123');
    assert.equal(rewritten('SELECT 5-random()', { integers: [123n] }), 'SELECT 5-123');
  });

  it('keeps the literal from running into a following alias', () => {
    assert.equal(rewritten('SELECT random()x'), 'SELECT 123 x');
  });

  it('recognizes a quoted function name, which SQLite calls too', () => {
    assert.equal(rewritten('SELECT "random"(), [random](), `random`()'), 'SELECT 123, 123, 123');
  });

  it('keeps the literal apart from a keyword written against a quoted name', () => {
    assert.equal(rewritten('SELECT"random"()'), 'SELECT 123');
  });

  it('touches nothing inside strings, identifiers, comments and blobs', () => {
    assertUnchanged(
      `SELECT 'random()', "random()", [random()], \`random()\`, x'00' -- random()\n/* random() */`,
    );
  });

  it('leaves a column called random, a method-like name and calls with arguments alone', () => {
    assertUnchanged('SELECT random, t.random, "random" FROM t');
    assertUnchanged('SELECT t.random()');
    assertUnchanged('SELECT random(1)');
  });

  it('does not rewrite inside ORDER BY terms, as rqlite does not', () => {
    assertUnchanged('SELECT a FROM t ORDER BY random()');
    assertUnchanged('SELECT a FROM t ORDER BY a DESC, abs(random()) NULLS LAST');
    assertUnchanged('SELECT row_number() OVER (ORDER BY random()) FROM t');
    assertUnchanged('SELECT group_concat(a ORDER BY random()) FROM t');
    assertUnchanged('SELECT a FROM t ORDER BY rows, range, random()');
  });

  it('rewrites again where the ORDER BY terms end', () => {
    assert.equal(
      rewritten('INSERT INTO u SELECT a FROM t ORDER BY random() LIMIT abs(random()) % 5'),
      'INSERT INTO u SELECT a FROM t ORDER BY random() LIMIT abs(123) % 5',
    );
    assert.equal(
      rewritten('SELECT (SELECT a FROM t ORDER BY random() LIMIT 1), random()'),
      'SELECT (SELECT a FROM t ORDER BY random() LIMIT 1), 123',
    );
    assert.equal(
      rewritten(
        'SELECT sum(a) OVER (ORDER BY random() ROWS BETWEEN random() PRECEDING AND CURRENT ROW) FROM t',
      ),
      'SELECT sum(a) OVER (ORDER BY random() ROWS BETWEEN 123 PRECEDING AND CURRENT ROW) FROM t',
    );
  });

  it('rewrites in GROUP BY and PARTITION BY, which are not ORDER BY', () => {
    assert.equal(rewritten('SELECT 1 FROM t GROUP BY random()'), 'SELECT 1 FROM t GROUP BY 123');
  });

  it('is turned off by random: false, without reading the source', () => {
    const sources = fixedSources({ random: false });
    assert.equal(rewrite('SELECT random(), randomblob(2)', sources).changed, false);
    assert.equal(sources.reads.int64 + sources.reads.bytes, 0);
  });
});

describe('rewrite: RANDOMBLOB(N)', () => {
  it('replaces a call with an integer literal N by a blob literal of N bytes', () => {
    assert.equal(rewritten('INSERT INTO t VALUES(randomblob(4))'), "INSERT INTO t VALUES(x'00010203')");
    assert.equal(rewritten('SELECT RANDOMBLOB ( 0x3 )'), "SELECT x'000102'");
    assert.equal(rewritten('SELECT randomblob(+2)'), "SELECT x'0001'");
  });

  it('gives one byte for N below 1, as SQLite does', () => {
    assert.equal(rewritten('SELECT randomblob(0), randomblob(-7)'), "SELECT x'00', x'00'");
  });

  it('leaves N that is not an integer literal alone', () => {
    assertUnchanged(
      'SELECT randomblob(n), randomblob(1.5), randomblob(1e3), randomblob(1_000), randomblob(?)',
    );
    assertUnchanged('SELECT randomblob(), randomblob(1, 2)');
  });

  it(`leaves N above ${randomBlobBytesMax} alone`, () => {
    assertUnchanged(`SELECT randomblob(${randomBlobBytesMax + 1})`);
    assert.equal(
      rewritten(`SELECT randomblob(${randomBlobBytesMax})`).length,
      `SELECT x''`.length + 2 * randomBlobBytesMax,
    );
  });

  it(`stops writing blobs once ${randomBlobBytesBudget} bytes are written in one rewrite`, () => {
    const calls = randomBlobBytesBudget / randomBlobBytesMax;
    const sql = `SELECT ${Array.from({ length: calls + 1 }, () => `randomblob(${randomBlobBytesMax})`).join(', ')}`;
    const result = rewritten(sql);
    assert.equal(result.split("x'").length - 1, calls);
    assert.ok(result.endsWith(`, randomblob(${randomBlobBytesMax})`));
  });

  it('does not rewrite inside ORDER BY terms', () => {
    assertUnchanged('SELECT a FROM t ORDER BY randomblob(4)');
  });
});

describe("rewrite: 'now' in date and time functions", () => {
  it('replaces the first argument of date, time, datetime, julianday and unixepoch', () => {
    for (const name of ['date', 'time', 'datetime', 'julianday', 'unixepoch', 'DateTime']) {
      assert.equal(
        rewritten(`SELECT ${name}('now', 'start of day')`),
        `SELECT ${name}(${now}, 'start of day')`,
      );
    }
  });

  it('replaces the second argument of strftime and either argument of timediff', () => {
    assert.equal(rewritten("SELECT strftime('%s', 'now')"), `SELECT strftime('%s', ${now})`);
    assert.equal(rewritten("SELECT strftime('now', 'now')"), `SELECT strftime('now', ${now})`);
    assert.equal(
      rewritten("SELECT timediff('now', d), timediff(d, 'now')"),
      `SELECT timediff(${now}, d), timediff(d, ${now})`,
    );
  });

  it("accepts 'now' in any case, double-quoted, and bare as rqlite does", () => {
    assert.equal(
      rewritten(`SELECT date('NOW'), date("Now"), date(now)`),
      `SELECT date(${now}), date(${now}), date(${now})`,
    );
  });

  it('leaves [now], `now`, padded and escaped forms, and other arguments alone', () => {
    assertUnchanged(
      "SELECT date([now]), date(`now`), date(' now'), date('no''w'), date('now' || ''), date(+'now')",
    );
    assertUnchanged("SELECT date(d, 'now'), timediff('now'), time(t.now)");
  });

  it("leaves 'now' outside date functions and inside strings alone", () => {
    assertUnchanged("INSERT INTO t VALUES('now', \"now\", now, 'datetime(''now'')')");
  });

  it('reads the clock when the time value is missing, as SQLite does', () => {
    assert.equal(
      rewritten('SELECT datetime(), date( /* c */ ), julianday()'),
      `SELECT datetime(${now}), date( /* c */ ${now}), julianday(${now})`,
    );
    assert.equal(rewritten("SELECT strftime('%Y' )"), `SELECT strftime('%Y', ${now} )`);
    assertUnchanged('SELECT strftime(), timediff()');
  });

  it("turns 'subsec' as the time value into the instant plus the 'subsec' modifier", () => {
    assert.equal(
      rewritten("SELECT datetime('subsec'), unixepoch('SUBSECOND', '+1 day')"),
      `SELECT datetime(${now}, 'subsec'), unixepoch(${now}, 'subsec', '+1 day')`,
    );
    assert.equal(rewritten("SELECT timediff('subsec', d)"), `SELECT timediff(${now}, d)`);
    assertUnchanged("SELECT datetime(subsec), datetime(d, 'subsec')");
  });

  it('rewrites nested calls from the inside', () => {
    assert.equal(
      rewritten("SELECT datetime(datetime('now'), '+1 hour')"),
      `SELECT datetime(datetime(${now}), '+1 hour')`,
    );
  });

  it('rewrites inside ORDER BY too, where a constant time changes no order', () => {
    assert.equal(
      rewritten("SELECT a FROM t ORDER BY julianday('now') - a"),
      `SELECT a FROM t ORDER BY julianday(${now}) - a`,
    );
  });

  it('reads the clock once for all the statements of one rewrite', () => {
    const sources = fixedSources();
    rewrite(
      "INSERT INTO t VALUES(date('now'), CURRENT_TIME); INSERT INTO t VALUES(datetime(), CURRENT_DATE)",
      sources,
    );
    assert.equal(sources.reads.clock, 1);
  });

  it('is turned off by time: false', () => {
    const sources = fixedSources({ time: false });
    assert.equal(
      rewrite("SELECT date('now'), datetime(), CURRENT_DATE, random()", sources).sql,
      "SELECT date('now'), datetime(), CURRENT_DATE, 123",
    );
    assert.equal(sources.reads.clock, 0);
  });
});

describe('rewrite: CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME', () => {
  it('replaces them where they are values', () => {
    assert.equal(
      rewritten('INSERT INTO t VALUES(CURRENT_TIMESTAMP, current_date, Current_Time)'),
      `INSERT INTO t VALUES(${timestamp}, ${date}, ${time})`,
    );
    assert.equal(
      rewritten(
        'UPDATE t SET a = CURRENT_DATE WHERE b < current_timestamp AND c IN (CURRENT_TIME) RETURNING current_date',
      ),
      `UPDATE t SET a = ${date} WHERE b < ${timestamp} AND c IN (${time}) RETURNING ${date}`,
    );
    assert.equal(
      rewritten('INSERT INTO t(a) VALUES(1) ON CONFLICT(a) DO UPDATE SET b = CURRENT_TIMESTAMP'),
      `INSERT INTO t(a) VALUES(1) ON CONFLICT(a) DO UPDATE SET b = ${timestamp}`,
    );
    assert.equal(rewritten("SELECT -current_date, current_time||'x'"), `SELECT -${date}, ${time}||'x'`);
  });

  it('leaves them alone where SQLite reads them as names', () => {
    assertUnchanged('SELECT 1 AS current_date, 2 current_time, t.current_timestamp, current_date.x FROM t');
    assertUnchanged('SELECT * FROM current_date, current_time JOIN current_timestamp USING (current_date)');
    assertUnchanged('INSERT INTO t(current_date, current_time) SELECT 1, 2');
    assertUnchanged('INSERT INTO main.t AS x (current_date) SELECT 1');
    assertUnchanged('UPDATE t SET current_date = 1, current_time = 2');
    assertUnchanged('UPDATE t SET (current_date, current_time) = (1, 2)');
    assertUnchanged('WITH current_date(current_time) AS (SELECT 1), x AS (SELECT 2) SELECT 3');
    assertUnchanged("SELECT 'a'current_date");
    assertUnchanged('SELECT * FROM t INDEXED BY current_date');
  });

  it('tells an expression list from a name list after a comma', () => {
    assert.equal(
      rewritten(
        'INSERT INTO t(a, current_date) SELECT a, current_date FROM s, current_time WHERE x = current_time',
      ),
      `INSERT INTO t(a, current_date) SELECT a, ${date} FROM s, current_time WHERE x = ${time}`,
    );
  });
});

describe('rewrite: which statements', () => {
  it('leaves schema statements as written: their expressions run later, per row', () => {
    assertUnchanged(
      "CREATE TABLE t(a DEFAULT CURRENT_TIMESTAMP, b DEFAULT (random()), c CHECK (c < datetime('now')))",
    );
    assertUnchanged("CREATE VIEW v AS SELECT random(), datetime('now'), CURRENT_DATE");
    assertUnchanged(
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(datetime('now'), random()); END",
    );
    assertUnchanged('CREATE INDEX i ON t(a) WHERE a > random()');
    assertUnchanged('ALTER TABLE t ADD COLUMN d DEFAULT CURRENT_TIMESTAMP');
  });

  it('rewrites the SELECT of CREATE TABLE ... AS, which runs once', () => {
    assert.equal(
      rewritten('CREATE TEMP TABLE IF NOT EXISTS main.u AS SELECT random() AS r, CURRENT_DATE AS d'),
      `CREATE TEMP TABLE IF NOT EXISTS main.u AS SELECT 123 AS r, ${date} AS d`,
    );
  });

  it('leaves PRAGMA and other statements whose arguments are names alone', () => {
    assertUnchanged('PRAGMA table_info(current_date)');
    assertUnchanged('DROP TABLE current_date');
  });

  it('rewrites every statement of a multi-statement string, each by its own kind', () => {
    assert.equal(
      rewritten(
        "CREATE TABLE t(a DEFAULT (random())); INSERT INTO t VALUES(random()); CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT random(); END; SELECT date('now')",
      ),
      `CREATE TABLE t(a DEFAULT (random())); INSERT INTO t VALUES(123); CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT random(); END; SELECT date(${now})`,
    );
  });

  it('rewrites behind EXPLAIN, WITH, REPLACE, DELETE and ATTACH', () => {
    assert.equal(rewritten('EXPLAIN QUERY PLAN SELECT random()'), 'EXPLAIN QUERY PLAN SELECT 123');
    assert.equal(
      rewritten('WITH c AS (SELECT random() AS r) DELETE FROM t WHERE a IN (SELECT r FROM c)'),
      'WITH c AS (SELECT 123 AS r) DELETE FROM t WHERE a IN (SELECT r FROM c)',
    );
    assert.equal(rewritten('REPLACE INTO t VALUES(random())'), 'REPLACE INTO t VALUES(123)');
  });

  it('returns the very same string when there is nothing to rewrite', () => {
    const sql = 'SELECT 1 -- nothing here';
    assert.equal(rewrite(sql, fixedSources()).sql, sql);
    assertUnchanged('');
    assertUnchanged("SELECT datetime('2020-01-01')");
  });
});

describe('rewrite: injected sources', () => {
  it('fails loudly on a clock that is not whole milliseconds in range', () => {
    for (const nowMs of [Number.NaN, 1.5, -1, 253_402_300_800_000]) {
      assert.throws(() => rewrite("SELECT date('now')", fixedSources({ nowMs })), /injected clock/);
    }
  });

  it('fails loudly on an integer outside int64 and on a short byte array', () => {
    assert.throws(() => rewrite('SELECT random()', fixedSources({ integers: [2n ** 63n] })), /int64/);
    const short = { ...fixedSources(), randomBytes: () => new Uint8Array(1) };
    assert.throws(() => rewrite('SELECT randomblob(2)', short), /randomBytes\(2\)/);
  });
});
