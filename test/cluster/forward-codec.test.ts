import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeStatementsResponse,
  encodeStatementsResponse,
  fromWireReadOptions,
  toWireReadOptions,
} from '../../src/cluster/forward-codec.js';
import type { StatementResult } from '../../src/command/types.js';

describe('forwarded answers', () => {
  it('keep REAL and INTEGER values apart, int64 exact, blobs as bytes', () => {
    const results: StatementResult[] = [
      { kind: 'write', lastInsertId: 9007199254740993n, rowsAffected: 1n, seconds: 0 },
      {
        kind: 'rows',
        columns: ['a', 'b', 'c', 'd', 'e'],
        types: ['real', 'integer', 'blob', 'text', 'boolean'],
        rows: [
          [2, -5n, Uint8Array.of(0, 255), 'x', true],
          [1e18, null, new Uint8Array(), '', false],
        ],
        seconds: 0.25,
      },
      { kind: 'error', error: 'no such table: t' },
    ];
    const decoded = decodeStatementsResponse(encodeStatementsResponse({ results, raftIndex: 42 }));
    assert.deepEqual(decoded, { results, raftIndex: 42 });
    const rows = decoded.results[1];
    assert.ok(rows?.kind === 'rows');
    assert.equal(typeof rows.rows[0]?.[0], 'number', 'a REAL 2.0 stays a number');
    assert.equal(typeof rows.rows[1]?.[0], 'number', 'a REAL 1e18 does not become an INTEGER');
    assert.deepEqual(decodeStatementsResponse(encodeStatementsResponse({ results: [] })), { results: [] });
  });

  it('refuse answers of the wrong shape', () => {
    assert.throws(() => decodeStatementsResponse('text'), /not binary/);
    assert.throws(() => decodeStatementsResponse(Uint8Array.of(0xc0)), /no results/);
  });

  it('carry read options without the abort signal, and check them on arrival', () => {
    const signal = new AbortController().signal;
    const options = {
      level: 'linearizable' as const,
      transaction: true,
      freshnessMs: 0,
      freshnessStrict: false,
      linearizableTimeoutMs: 10_000,
      dbTimeoutMs: 5,
      signal,
    };
    assert.deepEqual(fromWireReadOptions(toWireReadOptions(options), signal), options);
    assert.throws(
      () => fromWireReadOptions({ ...toWireReadOptions(options), level: 'eventual' }, signal),
      /level/,
    );
    assert.throws(
      () => fromWireReadOptions({ ...toWireReadOptions(options), dbTimeoutMs: -1 }, signal),
      /dbTimeoutMs/,
    );
  });
});
