import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';

import { CommandDecodeError, decodeCommand, decodesExactly, encodeCommand } from '../../src/command/codec.js';
import type { Command, SqlValue, Statement, StatementsCommand } from '../../src/command/types.js';

function statementsCommand(statements: Statement[], transaction = false): StatementsCommand {
  return { kind: 'statements', mode: 'execute', transaction, statements };
}

function insert(value: SqlValue, sql = 'INSERT INTO t(v) VALUES(?)'): Statement {
  return { sql, positional: [value], named: {}, returnsRows: false };
}

const sqlValue: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double({ noNaN: true }).filter((value) => !Object.is(value, -0)),
  fc.string(),
  fc.uint8Array({ maxLength: 16 }),
);

// Plain objects, as parsed requests hold (fast-check may build them without a prototype).
const statement: fc.Arbitrary<Statement> = fc
  .record({
    sql: fc.constantFrom('INSERT INTO t VALUES(?)', 'SELECT :a', '', 'UPDATE t SET v = $v'),
    positional: fc.array(sqlValue, { maxLength: 3 }),
    named: fc.dictionary(fc.constantFrom('a', 'v', 'x'), sqlValue, { maxKeys: 2 }),
    returnsRows: fc.boolean(),
  })
  .map((s) => ({ ...s, named: { ...s.named } }));

void describe('command payloads', () => {
  test('every command decodes to what was encoded', () => {
    fc.assert(
      fc.property(
        fc.array(statement, { maxLength: 20 }),
        fc.constantFrom('execute' as const, 'query' as const, 'request' as const),
        fc.boolean(),
        (statements, mode, transaction) => {
          const command: Command = { kind: 'statements', mode, transaction, statements };
          assert.deepEqual(decodeCommand(encodeCommand(command)), command);
        },
      ),
      { numRuns: 300, seed: 20261122 },
    );
    for (const command of [{ kind: 'noop' }, { kind: 'load', database: Uint8Array.of(1, 2, 3) }] as const) {
      assert.deepEqual(decodeCommand(encodeCommand(command)), command);
    }
  });

  test('decodesExactly says whether a command comes back value for value', () => {
    // Around the surrogate range, so that lone halves and whole pairs both turn up.
    const nearSurrogates = fc.string({
      unit: fc.integer({ min: 0xd7fe, max: 0xe001 }).map((code) => String.fromCharCode(code)),
      maxLength: 4,
    });
    const anyValue: fc.Arbitrary<SqlValue> = fc.oneof(
      sqlValue,
      fc.constantFrom(-0, 0),
      fc.double(),
      nearSurrogates,
    );
    const anyStatement: fc.Arbitrary<Statement> = fc
      .record({
        sql: fc.oneof(fc.constantFrom('INSERT INTO t VALUES(?)', 'SELECT :a'), nearSurrogates),
        positional: fc.array(anyValue, { maxLength: 3 }),
        named: fc.dictionary(fc.oneof(fc.constantFrom('a', 'v'), nearSurrogates), anyValue, { maxKeys: 2 }),
        returnsRows: fc.boolean(),
      })
      .map((s) => ({ ...s, named: { ...s.named } }));
    let exact = 0;
    let inexact = 0;
    fc.assert(
      fc.property(fc.array(anyStatement, { maxLength: 4 }), (statements) => {
        const command = statementsCommand(statements);
        // It may say no to a command that happens to come back intact (a short string with a lone
        // surrogate does); it must never say yes to one that does not.
        if (decodesExactly(command)) {
          assert.deepStrictEqual(decodeCommand(encodeCommand(command)), command);
          exact++;
        } else {
          inexact++;
        }
      }),
      { numRuns: 500, seed: 20261122 },
    );
    assert.ok(exact > 50 && inexact > 50, `exact ${exact}, inexact ${inexact}`);
    // What it says no to: -0 comes back as 0, and a long string's lone surrogate as U+FFFD.
    const negativeZero = statementsCommand([insert(-0)]);
    assert.ok(
      !Object.is(
        (decodeCommand(encodeCommand(negativeZero)) as StatementsCommand).statements[0]!.positional[0],
        -0,
      ),
    );
    assert.equal(decodesExactly(negativeZero), false);
    const longLone = statementsCommand([insert('x'.repeat(300) + '\ud800')]);
    assert.notDeepStrictEqual(decodeCommand(encodeCommand(longLone)), longLone);
    assert.equal(decodesExactly(longLone), false);
    assert.equal(decodesExactly(statementsCommand([insert(0)])), true);
    assert.equal(decodesExactly({ kind: 'noop' }), true);
    assert.equal(decodesExactly({ kind: 'load', database: Uint8Array.of(1) }), true);
  });

  test('a text repeated by many statements is written once and decoded as one string', () => {
    const one = encodeCommand(statementsCommand([insert(1n)]));
    const many = encodeCommand(statementsCommand(Array.from({ length: 1000 }, (_, i) => insert(BigInt(i)))));
    const sqlBytes = 'INSERT INTO t(v) VALUES(?)'.length;
    assert.ok(many.length < 1000 * sqlBytes, `1,000 statements took ${many.length} bytes`);
    assert.ok(many.length > one.length);
    const decoded = decodeCommand(many);
    assert.ok(decoded.kind === 'statements');
    assert.equal(new Set(decoded.statements.map((s) => s.sql)).size, 1);
  });

  test('payloads written by earlier versions (each statement with its text) still decode', () => {
    const wire = ['s', 'request', 1, [['INSERT INTO t VALUES(?, :n)', [7n], { n: 'x' }, 0]]];
    const body = encode(wire, { useBigInt64: true });
    const payload = new Uint8Array(body.length + 1);
    payload[0] = 1;
    payload.set(body, 1);
    assert.deepEqual(decodeCommand(payload), {
      kind: 'statements',
      mode: 'request',
      transaction: true,
      statements: [
        { sql: 'INSERT INTO t VALUES(?, :n)', positional: [7n], named: { n: 'x' }, returnsRows: false },
      ],
    });
  });

  test('malformed and unknown payloads are refused with a reason', () => {
    const withVersion = (version: number, wire: unknown): Uint8Array => {
      const body = encode(wire, { useBigInt64: true });
      const payload = new Uint8Array(body.length + 1);
      payload[0] = version;
      payload.set(body, 1);
      return payload;
    };
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /empty command payload/],
      [withVersion(9, ['n']), /format version 9 is not known/],
      [withVersion(2, ['s', 'execute', 0, [[3, [], {}, 0]], ['only one text']]), /malformed statement/],
      [withVersion(2, ['s', 'execute', 0, [[0, [], {}, 0]]]), /no list of SQL texts/],
      [withVersion(2, ['s', 'execute', 0, [['inline text', [], {}, 0]], []]), /malformed statement/],
      [withVersion(1, ['s', 'execute', 0, [[0, [], {}, 0]]]), /malformed statement/],
      [withVersion(2, ['x']), /unknown command kind/],
      [Uint8Array.of(2, 0xc1), /not valid MessagePack/],
    ];
    for (const [payload, reason] of cases) {
      assert.throws(
        () => decodeCommand(payload),
        (error: unknown) => {
          assert.ok(error instanceof CommandDecodeError, String(error));
          assert.match(error.message, reason);
          return true;
        },
      );
    }
  });

  test('a command larger than the kept encoder buffer encodes, and the next one too', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const first = statementsCommand([insert(big)]);
    assert.deepEqual(decodeCommand(encodeCommand(first)), first);
    const next = statementsCommand([insert(1n), insert(2n)]);
    assert.deepEqual(decodeCommand(encodeCommand(next)), next);
  });
});
