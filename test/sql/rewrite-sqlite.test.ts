// The rewriter checked against real SQLite: rewritten statements still prepare, evaluate to the injected
// clock, agree with SQLite's own 'now', and no longer change from one run to the next.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { rewrite, tokenize } from '../../src/sql/index.js';
import { clockMsMax } from '../../src/sql/clock-literals.js';
import { applyEdits, literalSource } from '../../src/sql/rewrite.js';
import type { Edit } from '../../src/sql/rewrite-plan.js';
import { planRewrite } from '../../src/sql/rewrite-plan.js';
import { isSignificant } from '../../src/sql/token.js';
import { fixedSources, runs } from './sources.js';

let db: Database.Database;

before(() => {
  db = new Database(':memory:');
  db.exec(`
    CREATE TABLE t(a INTEGER, b TEXT, c REAL);
    INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', 2.5), (3, 'z', 3.5);
    CREATE TABLE u(a, b, c);
  `);
});

after(() => db.close());

function row(sql: string): unknown[] {
  return db.prepare(sql).raw().get() as unknown[];
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** The instant formatted the way SQLite formats it, computed here independently. */
function expectedTexts(ms: number): { date: string; time: string; seconds: string; milliseconds: string } {
  const at = new Date(ms);
  const date = `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return {
    date,
    time,
    seconds: `${date} ${time}`,
    milliseconds: `${date} ${time}.${pad(at.getUTCMilliseconds(), 3)}`,
  };
}

describe('rewrite in real SQLite: the injected clock', () => {
  it('gives every time function exactly the injected instant, to the millisecond', () => {
    const sql = `SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), datetime('now'), date('now'), time('now'),
      unixepoch('now'), unixepoch('now', 'subsec'), julianday('now'), datetime('subsec'), datetime(),
      strftime('%s'), timediff('now', 'now'), CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: clockMsMax }), (ms) => {
        const result = row(rewrite(sql, fixedSources({ nowMs: ms })).sql);
        const expected = expectedTexts(ms);
        assert.deepEqual(result, [
          expected.milliseconds,
          expected.seconds,
          expected.date,
          expected.time,
          Math.floor(ms / 1000),
          ms / 1000,
          (ms + 210_866_760_000_000) / 86_400_000,
          expected.milliseconds,
          expected.seconds,
          String(Math.floor(ms / 1000)),
          '+0000-00-00 00:00:00.000',
          expected.seconds,
          expected.date,
          expected.time,
        ]);
      }),
      runs(300),
    );
  });

  it("agrees with SQLite's own 'now' under every kind of modifier", () => {
    const expressions = [
      "datetime('now')",
      "datetime('now', '+1 day', 'start of month')",
      "datetime('now', 'utc')",
      "datetime('now', 'localtime')",
      "datetime('now', 'unixepoch')",
      "datetime('now', 'julianday')",
      "datetime('now', 'auto')",
      "date('now', 'weekday 0')",
      "time('now', '-3 hours', 'start of day')",
      "strftime('%s %j %W', 'now')",
      "unixepoch('now', 'start of year')",
      "julianday('now', 'start of day')",
      'CURRENT_TIMESTAMP',
      'CURRENT_DATE',
      'CURRENT_TIME',
    ];
    const sql = `SELECT ${expressions.join(', ')}`;
    // SQLite reads its own clock; compare within one second of it, and retry across a second boundary.
    for (let attempt = 1; ; attempt++) {
      const beforeMs = Date.now();
      const original = row(sql);
      const rewritten = row(rewrite(sql, fixedSources({ nowMs: beforeMs })).sql);
      const afterMs = Date.now();
      if (Math.floor(beforeMs / 1000) === Math.floor(afterMs / 1000)) {
        assert.deepEqual(rewritten, original);
        return;
      }
      assert.ok(attempt < 5, 'the clock kept crossing second boundaries');
    }
  });

  it('reads a plain number as a Julian day in every date function (why rqlite may write one)', () => {
    const ms = Date.UTC(2026, 1, 6, 0, 0, 0);
    const julianDay = 2_440_587.5 + ms / 86_400_000;
    const iso = "'2026-02-06 00:00:00.000Z'";
    for (const call of [
      'date(?)',
      'time(?)',
      'datetime(?)',
      'julianday(?)',
      'unixepoch(?)',
      "strftime('%s', ?)",
    ]) {
      assert.deepEqual(
        row(`SELECT ${call.replace('?', String(julianDay))}`),
        row(`SELECT ${call.replace('?', iso)}`),
        call,
      );
    }
    assert.deepEqual(row(`SELECT timediff(${julianDay}, ${iso}), timediff(${iso}, ${julianDay})`), [
      '+0000-00-00 00:00:00.000',
      '+0000-00-00 00:00:00.000',
    ]);
  });

  it('writes the instant as a UTC time string, not a Julian day with six decimals, which is 86 ms coarse', () => {
    const ms = Date.UTC(2026, 10, 22, 10, 0, 1, 0);
    const julianDay = (2_440_587.5 + ms / 86_400_000).toFixed(6);
    const iso = rewrite("SELECT datetime('now')", fixedSources({ nowMs: ms })).sql;
    assert.equal(row(iso)[0], '2026-11-22 10:00:01');
    assert.equal(row(`SELECT datetime(${julianDay})`)[0], '2026-11-22 10:00:00');
  });

  it("writes the instant as a UTC time string, not a Julian day, because modifiers read a number differently than 'now'", () => {
    const julianDay = '2461077.9';
    const iso = "'2026-02-06 09:36:00.000Z'";
    // 'unixepoch' and 'julianday' reinterpret a number but refuse a time string, as they refuse 'now'.
    assert.deepEqual(
      row(
        `SELECT datetime('now', 'unixepoch'), datetime(${iso}, 'unixepoch'), datetime(${julianDay}, 'unixepoch') IS NULL`,
      ),
      [null, null, 0],
    );
    assert.deepEqual(
      row(
        `SELECT datetime('now', 'julianday'), datetime(${iso}, 'julianday'), datetime(${julianDay}, 'julianday') IS NULL`,
      ),
      [null, null, 0],
    );
    // 'utc' leaves 'now' alone but treats a number as local time, so the result would depend on each
    // node's time zone. Shown in a process running five hours behind UTC.
    const script = `
      const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const db = new Database(':memory:');
      const row = db.prepare("SELECT datetime('now', 'utc') = datetime('now'), datetime(${iso}, 'utc'), datetime(${julianDay}, 'utc')").raw().get();
      process.stdout.write(JSON.stringify(row));
      db.close();`;
    const child = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, TZ: 'EST5' },
      timeout: 30_000,
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), [1, '2026-02-06 09:36:00', '2026-02-06 14:36:00']);
  });
});

/** Expressions that hold every rewrite rule and every trap. */
const atoms = [
  'random()',
  'RANDOM ( )',
  'random/**/()',
  '"random"()',
  'randomblob(3)',
  'randomblob(-1)',
  'hex(randomblob(0x2))',
  "datetime('now')",
  'date()',
  "time('NOW', '+1 hour')",
  "julianday('now')",
  "unixepoch('now', 'subsec')",
  "strftime('%Y-%m-%d %H:%M:%f', 'now')",
  "strftime('%f')",
  "timediff('now', '2000-01-01')",
  "datetime('subsec')",
  'datetime("now")',
  "datetime(datetime('now'), '+1 day')",
  'CURRENT_TIMESTAMP',
  'current_date',
  'CURRENT_TIME',
  "'random()'",
  "'now'",
  "x'0aff'",
  '1',
  '-2',
  '2.5',
  'a',
  't.b',
  '"c"',
  '[a]',
  "'x''y'",
];
const separator = fc.constantFrom('', ' ', '\n', '/* c */', ' -- c\n');
const expression: fc.Arbitrary<string> = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...atoms),
    fc
      .tuple(
        tie('expression'),
        separator,
        fc.constantFrom('+', '-', '*', '||', 'AND', '=', '<'),
        separator,
        tie('expression'),
      )
      .map(([left, s1, operator, s2, right]) => {
        // Words need some space around them; symbols do not.
        const spaced = /^[A-Z]/.test(operator) ? ` ${operator} ` : `${s1}${operator}${s2}`;
        return `${left}${spaced}${right}`;
      }),
    tie('expression').map((inner) => `(${inner})`),
    tie('expression').map((inner) => `abs(${inner})`),
    fc.tuple(tie('expression'), tie('expression')).map(([x, y]) => `coalesce(${x}, ${y})`),
    fc
      .tuple(tie('expression'), tie('expression'), tie('expression'))
      .map(([x, y, z]) => `CASE WHEN ${x} THEN ${y} ELSE ${z} END`),
  ),
})).expression;

interface Generated {
  readonly sql: string;
  /** A SELECT with no ORDER BY: after rewriting, every run must give the same row. */
  readonly repeatable: boolean;
}

const statement: fc.Arbitrary<Generated> = fc
  .tuple(fc.integer({ min: 0, max: 8 }), expression, expression, expression, separator)
  .map(([template, x, y, z, s]): Generated => {
    switch (template) {
      case 0:
        return { sql: `SELECT ${x},${s}${y} FROM t WHERE ${z}`, repeatable: true };
      case 1:
        return { sql: `SELECT ${x} AS v FROM t ORDER BY ${y}, random() LIMIT 1`, repeatable: false };
      case 2:
        return { sql: `INSERT INTO u(a, b, c) VALUES(${x}, ${y},${s}${z})`, repeatable: false };
      case 3:
        return { sql: `UPDATE u SET a = ${x}, b =${s}${y} WHERE ${z}`, repeatable: false };
      case 4:
        return { sql: `INSERT INTO u SELECT ${x}, ${y}, ${z} FROM t RETURNING *`, repeatable: false };
      case 5:
        return { sql: `WITH x(v) AS (SELECT ${x}) SELECT v, ${y} FROM x`, repeatable: true };
      case 6:
        return { sql: `CREATE TABLE w AS SELECT ${x} AS v, ${y} AS w`, repeatable: false };
      case 7:
        return { sql: `CREATE TABLE w(v DEFAULT (${x}), w CHECK (${y}))`, repeatable: false };
      default:
        return { sql: `SELECT ${x}${s}${y}`, repeatable: true };
    }
  });

function significantTexts(sql: string): string[] {
  return tokenize(sql)
    .filter(isSignificant)
    .map((token) => token.text);
}

/** The significant tokens the rewritten text must have: the original's, with each edit's in its place. */
function expectedSignificantTexts(sql: string, edits: readonly Edit[]): string[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const expected: string[] = [];
  let next = 0;
  for (const token of tokenize(sql)) {
    while (next < sorted.length && sorted[next]!.start <= token.start)
      expected.push(...significantTexts(sorted[next++]!.text));
    const replaced = sorted.some(
      (edit) => edit.end > edit.start && token.start >= edit.start && token.end <= edit.end,
    );
    if (!replaced && isSignificant(token)) expected.push(token.text);
  }
  while (next < sorted.length) expected.push(...significantTexts(sorted[next++]!.text));
  return expected;
}

/** What an edit may replace: a whole rewritten call, one time-value token, a CURRENT_* keyword, or nothing. */
function assertEditTarget(sql: string, edit: Edit): void {
  const replaced = significantTexts(sql.slice(edit.start, edit.end));
  if (replaced.length === 0) return;
  const first = replaced[0]!.toLowerCase().replace(/^["`[]|["`\]]$/g, '');
  if (replaced.length > 1) {
    assert.match(first, /^(random|randomblob)$/, `an edit replaced ${replaced.join(' ')}`);
    assert.equal(replaced.at(-1), ')');
    return;
  }
  assert.match(
    first,
    /^('now'|"now"|now|'subsec'|current_timestamp|current_date|current_time)$/,
    `an edit replaced ${first}`,
  );
}

function prepares(sql: string): boolean {
  try {
    db.prepare(sql);
    return true;
  } catch {
    return false;
  }
}

describe('rewrite in real SQLite: properties', () => {
  it('changes nothing but the rewritten calls, and what SQLite prepared it still prepares', () => {
    let prepared = 0;
    let changed = 0;
    fc.assert(
      fc.property(statement, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), ({ sql }, integer) => {
        const sources = fixedSources({ integers: [integer] });
        const tokens = tokenize(sql);
        const edits = planRewrite(tokens, literalSource(sources));
        const rewritten = applyEdits(sql, tokens, edits);
        assert.equal(rewrite(sql, fixedSources({ integers: [integer] })).sql, rewritten);
        for (const edit of edits) assertEditTarget(sql, edit);
        assert.deepEqual(significantTexts(rewritten), expectedSignificantTexts(sql, edits));
        if (edits.length > 0) changed++;
        if (prepares(sql)) {
          prepared++;
          assert.ok(prepares(rewritten), `prepared:\n${sql}\nbut not:\n${rewritten}`);
        }
      }),
      runs(400),
    );
    // The generator must produce statements SQLite accepts and that need rewriting.
    assert.ok(prepared > 200, `only ${prepared} generated statements prepared`);
    assert.ok(changed > 200, `only ${changed} generated statements were rewritten`);
  });

  it('makes SELECTs give the same row every time they run', () => {
    const runTwice = (sql: string): [unknown[], unknown[]] => {
      const first = db.prepare(sql).raw().all();
      // Let the clock move on, so that a time function left as written would show.
      const until = Date.now() + 2;
      while (Date.now() < until) continue;
      return [first, db.prepare(sql).raw().all()];
    };
    let compared = 0;
    let originalsThatChanged = 0;
    fc.assert(
      fc.property(
        statement.filter(({ repeatable }) => repeatable),
        ({ sql }) => {
          if (!prepares(sql)) return;
          const [before, again] = runTwice(sql);
          if (!isDeepStrictEqual(before, again)) originalsThatChanged++;
          const rewritten = rewrite(sql, { ...fixedSources(), nowMs: () => Date.now() }).sql;
          const [first, second] = runTwice(rewritten);
          assert.deepEqual(second, first, rewritten);
          compared++;
        },
      ),
      runs(200),
    );
    assert.ok(compared > 60, `only ${compared} statements were compared`);
    // Without rewriting, many of the same statements do change between runs: the check has teeth.
    assert.ok(
      originalsThatChanged > 20,
      `only ${originalsThatChanged} original statements changed between runs`,
    );
  });

  it('never fails on arbitrary token soup, and keeps it preparable', () => {
    const fragment = fc.constantFrom(
      ...atoms,
      'SELECT',
      'FROM t',
      'ORDER BY',
      'WHERE',
      ',',
      '(',
      ')',
      ';',
      '-',
      'AS',
      'current_date',
      '.',
      "'",
      '"',
      'x',
      '--',
      '/*',
      'CREATE TABLE',
      'DEFAULT',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fragment, separator), { maxLength: 12 }), (parts) => {
        const sql = parts.map(([text, s]) => `${text}${s}`).join('');
        const result = rewrite(sql, fixedSources({ integers: [-5n] }));
        assert.equal(result.changed, result.sql !== sql);
        if (!sql.includes(';') && prepares(sql)) assert.ok(prepares(result.sql), result.sql);
      }),
      runs(1000),
    );
  });
});
