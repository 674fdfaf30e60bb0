import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { ArgumentCursor, type DriverPath } from '../../src/sqlite/binding.js';
import { parameterLayoutOf } from '../../src/sqlite/sql-units.js';
import { convertValue, decodeUtf8LikeGo, isTextLikeType, typeNameOfValue } from '../../src/sqlite/values.js';

void describe('convertValue: rqlite conversions by declared type', () => {
  void test('integers in time columns become RFC 3339 text, in boolean columns true when positive', () => {
    assert.equal(convertValue(0n, 'datetime'), '1970-01-01T00:00:00Z');
    assert.equal(convertValue(86_400n, 'date'), '1970-01-02T00:00:00Z');
    assert.equal(convertValue(1n, 'boolean'), true);
    assert.equal(convertValue(2n, 'boolean'), true);
    assert.equal(convertValue(0n, 'boolean'), false);
    assert.equal(convertValue(-1n, 'boolean'), false);
    assert.equal(convertValue(7n, 'integer'), 7n);
  });

  void test('the declared type must match exactly, after lower-casing', () => {
    assert.equal(convertValue(0n, 'datetime(6)'), 0n);
    assert.equal(convertValue(1n, 'bool'), 1n);
    assert.equal(convertValue('2024-01-01', 'datetime(6)'), '2024-01-01');
  });

  void test('reals and NULLs pass through whatever the type', () => {
    assert.equal(convertValue(1.5, 'datetime'), 1.5);
    assert.equal(convertValue(1.5, 'boolean'), 1.5);
    assert.equal(convertValue(null, 'datetime'), null);
  });

  void test('blobs read from text-like columns are strings; from others, bytes', () => {
    assert.equal(convertValue(Buffer.from('abc'), 'text'), 'abc');
    assert.equal(convertValue(Buffer.from('abc'), 'varchar(5)'), 'abc');
    assert.equal(convertValue(Buffer.from('abc'), ''), 'abc');
    const bytes = convertValue(Buffer.from([1, 2]), 'blob');
    assert.ok(bytes instanceof Uint8Array && !Buffer.isBuffer(bytes));
    assert.deepEqual([...bytes], [1, 2]);
    assert.equal(isTextLikeType('string'), false);
    assert.equal(isTextLikeType('native character(5)'), true);
  });

  void test('types of expression columns are named after the converted value', () => {
    assert.equal(typeNameOfValue(1n), 'integer');
    assert.equal(typeNameOfValue(1.5), 'real');
    assert.equal(typeNameOfValue('x'), 'text');
    assert.equal(typeNameOfValue(true), 'boolean');
    assert.equal(typeNameOfValue(new Uint8Array(1)), 'blob');
    assert.equal(typeNameOfValue(null), '');
  });
});

void describe('decodeUtf8LikeGo', () => {
  void test('valid UTF-8 decodes to the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        assert.equal(decodeUtf8LikeGo(Buffer.from(text, 'utf8')), text);
      }),
      { numRuns: 500 },
    );
  });

  void test('each byte of an invalid sequence becomes one U+FFFD, as in Go', () => {
    assert.equal(decodeUtf8LikeGo(Uint8Array.from([0xe2, 0x82, 0x41])), '\ufffd\ufffdA');
    assert.equal(decodeUtf8LikeGo(Uint8Array.from([0xc0, 0xaf])), '\ufffd\ufffd');
    assert.equal(decodeUtf8LikeGo(Uint8Array.from([0xed, 0xa0, 0x80])), '\ufffd\ufffd\ufffd');
    assert.equal(decodeUtf8LikeGo(Uint8Array.from([0xf4, 0x90, 0x80, 0x80])), '\ufffd\ufffd\ufffd\ufffd');
    assert.equal(decodeUtf8LikeGo(Uint8Array.from([0xff])), '\ufffd');
  });
});

void describe("ArgumentCursor: parameters distributed as rqlite's driver does", () => {
  const statement = (positional: bigint[], named: Record<string, bigint> = {}) => ({ positional, named });

  void test('positional values fill anonymous parameters; extras are ignored', () => {
    const cursor = new ArgumentCursor(statement([1n, 2n, 3n]));
    assert.deepEqual(cursor.take(parameterLayoutOf('SELECT ?, ?'), 'exec'), {
      anonymous: [1n, 2n],
      named: {},
    });
  });

  void test("too few values is the driver's error, counted differently on each path", () => {
    const layout = parameterLayoutOf('SELECT ?, ?');
    assert.deepEqual(new ArgumentCursor(statement([1n])).take(layout, 'exec'), {
      kind: 'error',
      error: 'not enough args to execute query: want 2 got 1',
    });
    const cursor = new ArgumentCursor(statement([1n, 2n]));
    cursor.take(parameterLayoutOf('SELECT ?'), 'query');
    assert.deepEqual(cursor.take(layout, 'query'), {
      kind: 'error',
      error: 'not enough args to execute query: want 2 got 1',
    });
  });

  void test('a named value binds every prefix; unknown names are ignored; missing ones are NULL', () => {
    const layout = parameterLayoutOf('SELECT :a, @a, $b, :c');
    const bound = new ArgumentCursor(statement([], { a: 1n, b: 2n, c: 3n, z: 9n })).take(layout, 'exec');
    assert.deepEqual(bound, { anonymous: [], named: { a: 1n, b: 2n, c: 3n } });
    const partial = new ArgumentCursor(statement([], { a: 1n, b: 2n, z: 9n, y: 8n })).take(layout, 'exec');
    assert.deepEqual(partial, { anonymous: [], named: { a: 1n, b: 2n, c: null } });
  });

  void test('pieces of a multi-statement string consume values in turn', () => {
    const cursor = new ArgumentCursor(statement([1n, 2n, 3n]));
    assert.deepEqual(cursor.take(parameterLayoutOf('SELECT ?'), 'exec'), { anonymous: [1n], named: {} });
    assert.deepEqual(cursor.take(parameterLayoutOf('SELECT ?, ?'), 'exec'), {
      anonymous: [2n, 3n],
      named: {},
    });
  });

  void test('values by position alone bind as the general layout binds them', () => {
    // A named value that no placeholder uses changes nothing bound (while enough values are left), but
    // sends the cursor down the general path: both must agree piece after piece.
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -5n, max: 5n }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom<DriverPath>('exec', 'query'),
        (values, counts, path) => {
          const fast = new ArgumentCursor(statement(values));
          const general = new ArgumentCursor(statement(values, { unused: 0n }));
          for (const count of counts) {
            const layout = parameterLayoutOf(`SELECT ${Array.from({ length: count }, () => '?').join(', ')}`);
            const expected = general.take(layout, path);
            const actual = fast.take(layout, path);
            // The driver counts named values among the arguments left, so only the general cursor may
            // still have enough; past an error the two are not comparable.
            if ('kind' in actual) return;
            assert.deepEqual(actual, expected);
          }
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  void test('numbered parameters bind by position', () => {
    const bound = new ArgumentCursor(statement([1n, 2n, 3n])).take(
      parameterLayoutOf('SELECT ?3, ?1, ?2'),
      'exec',
    );
    assert.deepEqual(bound, { anonymous: [], named: { '1': 1n, '2': 2n, '3': 3n } });
  });
});
