import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';

import { CommandDecodeError, decodeCommand, encodeCommand } from '../../src/command/codec.js';
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
