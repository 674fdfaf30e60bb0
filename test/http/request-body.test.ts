import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { parseStatementsBody, RequestBodyError, type ParsedStatement } from '../../src/http/request-body.js';

const parse = (text: string, statementsMax = 1000): ParsedStatement[] =>
  parseStatementsBody(new TextEncoder().encode(text), statementsMax);

function refusal(text: string): string {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof RequestBodyError, `not a RequestBodyError: ${String(error)}`);
    return error.message;
  }
  return 'accepted';
}

// Each body with the answer rqlited gives it (recorded from a real node), in the order in which Go's
// streaming decoder finds problems.
const recorded: [string, string][] = [
  ['', 'invalid JSON body'],
  ['   ', 'invalid JSON body'],
  ['[]', 'no statements'],
  [' [ ] ', 'no statements'],
  ['{}', 'invalid request'],
  ['{"a"', 'invalid request'],
  ['"x"', 'invalid request'],
  ['"abc', 'invalid JSON body'],
  ['1', 'invalid request'],
  ['1x', 'invalid request'],
  ['null', 'invalid request'],
  ['true', 'invalid request'],
  ['tru', 'invalid JSON body'],
  [']', 'invalid JSON body'],
  ['[', 'invalid JSON body'],
  ['[,]', 'invalid JSON body'],
  ['[}', 'invalid JSON body'],
  ['["SELECT 1"', 'invalid JSON body'],
  ['["SELECT 1",]', 'invalid JSON body'],
  ['["SELECT 1"}', 'invalid JSON body'],
  ['["SELECT 1",}', 'invalid JSON body'],
  ['["a"x', 'invalid JSON body'],
  ['["SELECT 1" "SELECT 2"]', 'invalid JSON body'],
  ['["a\\x"]', 'invalid JSON body'],
  ['["\u0001"]', 'invalid JSON body'],
  ['\ufeff["SELECT 1"]', 'invalid JSON body'],
  ['[1]', 'invalid request'],
  ['[01]', 'invalid request'],
  ['[truex]', 'invalid request'],
  ['[null]', 'invalid request'],
  ['[{}]', 'invalid request'],
  ['[[]]', 'invalid request'],
  ['[[]', 'invalid request'],
  ['[[1]]', 'invalid request'],
  ['[["a"', 'invalid JSON body'],
  ['[["a"}]', 'invalid JSON body'],
  ['[["a", 1, }]', 'invalid JSON body'],
  ['[1, "SELECT 1"]', 'invalid request'],
  ['["SELECT 1", 1]', 'invalid request'],
  ['[["SELECT ?", 1 2]]', 'invalid JSON body'],
  ['[["SELECT ?", tru]]', 'invalid JSON body'],
  ['[["SELECT ?", 01]]', 'invalid JSON body'],
  ['[["SELECT ?", -]]', 'invalid JSON body'],
  ['[["SELECT ?", 1x]]', 'invalid JSON body'],
  ['[["SELECT ?", 1e400]]', 'invalid number 1e400'],
  ['[["SELECT ?", -1e400]]', 'invalid number -1e400'],
  ['[["SELECT ?", [1, {}], x]]', 'invalid JSON body'],
  ['[["SELECT ?", {"a":[1]}, garbage]]', 'invalid JSON body'],
  // Accepted: nothing after the outer array's closing bracket is read.
  ['["SELECT 1"] garbage', 'accepted'],
  ['["SELECT 1"]]', 'accepted'],
  ['["SELECT 1"]\n', 'accepted'],
  ['[["SELECT 1"] ]', 'accepted'],
  ['[["SELECT ?", 1e-400, -1e-400, 1E5, 1.5e+2]]', 'accepted'],
  ['[""]', 'accepted'],
];

// Current rqlite's parameter rules (BLOBs from x'..' strings and byte arrays), which rqlited 8.26.8 lacks.
const current: [string, string][] = [
  ['[["SELECT ?", {"a":{"b":1}}]]', 'unsupported type map[string]interface {}'],
  ['[["SELECT ?", [1, {}]]]', 'unsupported type map[string]interface {}'],
  ['[["SELECT ?", [1, [2]]]]', 'unsupported type []interface {}'],
  ['[["SELECT ?", ["a"]]]', 'unsupported type string'],
  ['[["SELECT ?", [true]]]', 'unsupported type bool'],
  ['[["SELECT ?", [null]]]', 'unsupported type <nil>'],
  ['[["SELECT ?", [256]]]', 'unsupported type 256'],
  ['[["SELECT ?", [-1]]]', 'unsupported type -1'],
  ['[["SELECT ?", [1.0]]]', 'unsupported type 1.0'],
  ['[["SELECT ?", [1e2]]]', 'unsupported type 1e2'],
  ['[["SELECT ?", [99999999999999999999]]]', 'unsupported type 99999999999999999999'],
  ['[["SELECT ?", {"a":[1]}], garbage', 'invalid JSON body'],
  // A parameter error is found before anything after its statement is read.
  ['[["SELECT ?", {"a":{}}], garbage', 'unsupported type map[string]interface {}'],
];

void describe('parseStatementsBody answers malformed bodies as rqlite does', () => {
  for (const [body, expected] of [...recorded, ...current]) {
    void test(JSON.stringify(body), () => assert.equal(refusal(body), expected));
  }
});

void describe('parseStatementsBody maps parameters to SQL values', () => {
  void test('plain statements, parameterised ones and a one-element array, mixed', () => {
    assert.deepEqual(parse('["CREATE TABLE t (a)", ["INSERT INTO t VALUES(?)", 1], ["SELECT 1"]]'), [
      { sql: 'CREATE TABLE t (a)', positional: [], named: {} },
      { sql: 'INSERT INTO t VALUES(?)', positional: [1n], named: {} },
      { sql: 'SELECT 1', positional: [], named: {} },
    ]);
  });

  void test('integers stay exact as int64, beyond it they are REAL; any . or e makes a REAL', () => {
    const [statement] = parse(
      '[["?", 9223372036854775807, -9223372036854775808, 9223372036854775808, 12345678901234567890123, 1.0, 1e2, -0, -0.0, 0.1]]',
    );
    assert.deepEqual(statement?.positional, [
      9223372036854775807n,
      -9223372036854775808n,
      9223372036854775808,
      1.2345678901234568e22,
      1,
      100,
      0n,
      -0,
      0.1,
    ]);
    assert.ok(Object.is(statement?.positional[7], -0));
  });

  void test('booleans are 1 and 0, null is NULL, strings are TEXT', () => {
    assert.deepEqual(parse('[["?", true, false, null, "text", ""]]')[0]?.positional, [
      1n,
      0n,
      null,
      'text',
      '',
    ]);
  });

  void test("x'..' strings are BLOBs (any case, Go white space around), other strings stay TEXT", () => {
    const [statement] = parse(
      '[["?", "x\'DEADbeef\'", " X\'00ff\'\\n", "x\'\'", "x\'ABC\'", "x\'", "x\'zz\'", "\\u0085x\'01\'\\u00a0", "\\ufeffx\'01\'"]]',
    );
    assert.deepEqual(statement?.positional, [
      Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
      Uint8Array.from([0x00, 0xff]),
      new Uint8Array(0),
      "x'ABC'",
      "x'",
      "x'zz'",
      Uint8Array.from([0x01]),
      "\ufeffx'01'",
    ]);
  });

  void test('arrays of bytes are BLOBs', () => {
    assert.deepEqual(parse('[["?", [0, 255, 16], []]]')[0]?.positional, [
      Uint8Array.from([0, 255, 16]),
      new Uint8Array(0),
    ]);
  });

  void test('objects are named parameters, mixed with positional ones; the last of a repeated name wins', () => {
    const [statement] = parse('[["SELECT ?, :a, @b, $c", 7, {"a": 1, "b": "x"}, 8, {"c": 2.5, "a": 3}]]');
    assert.deepEqual(statement?.positional, [7n, 8n]);
    assert.deepEqual(statement?.named, { a: 3n, b: 'x', c: 2.5 });
  });

  void test('a parameter named __proto__ is a parameter, not a prototype', () => {
    const [statement] = parse('[["SELECT :__proto__", {"__proto__": 5}]]');
    assert.equal(Object.getPrototypeOf(statement?.named), Object.prototype);
    assert.deepEqual(Object.entries(statement?.named ?? {}), [['__proto__', 5n]]);
  });

  void test('strings are decoded with escapes and surrogate pairs', () => {
    assert.equal(parse('["SELECT \'\\u00e9\\ud83d\\ude00\'"]')[0]?.sql, "SELECT 'é\u{1f600}'");
  });

  void test('more statements than allowed is refused with 413', () => {
    assert.equal(parse('["a","b","c"]', 3).length, 3);
    assert.throws(
      () => parse('["a","b","c","d"]', 3),
      (error: unknown) =>
        error instanceof RequestBodyError && error.status === 413 && /limit is 3/.test(error.message),
    );
  });

  void test('any JSON array of statements and parameters round-trips through JSON.stringify', () => {
    const parameter = fc.oneof(
      fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value)),
      fc.string(),
      fc.constant(null),
    );
    const statement = fc.tuple(fc.string(), fc.array(parameter, { maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 5 }), (statements) => {
        // Built directly: integers as literals, doubles in their shortest form, strings quoted.
        const literal = (value: bigint | number | string | null): string =>
          typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : String(value);
        const exact = `[${statements.map(([sql, parameters]) => `[${[JSON.stringify(sql), ...parameters.map(literal)].join(',')}]`).join(',')}]`;
        const parsed = parse(exact, 100);
        assert.equal(parsed.length, statements.length);
        parsed.forEach((parsedStatement, index) => {
          const [sql, parameters] = statements[index]!;
          assert.equal(parsedStatement.sql, sql);
          assert.deepEqual(
            parsedStatement.positional.map((value) => (value instanceof Uint8Array ? 'blob' : value)),
            parameters.map((value) =>
              typeof value === 'string' && /^\s*[xX]'([0-9A-Fa-f]{2})*'\s*$/.test(value) ? 'blob' : value,
            ),
          );
        });
      }),
      { numRuns: 300 },
    );
  });

  void test('never throws anything but RequestBodyError, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 48 }),
          fc.string({ maxLength: 48 }).map((text) => new TextEncoder().encode(text)),
        ),
        (input) => {
          try {
            parseStatementsBody(input, 10);
          } catch (error) {
            assert.ok(error instanceof RequestBodyError, String(error));
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
