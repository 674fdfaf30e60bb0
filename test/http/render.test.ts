import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { StatementResult } from '../../src/command/types.js';
import { UnsupportedJsonValueError } from '../../src/http/json-write.js';
import {
  renderResults,
  renderSqlPreviews,
  type RenderOptions,
  type ResultsEnvelope,
} from '../../src/http/render.js';
import { failed, rows, write } from './fake-node.js';

const plain: RenderOptions = { pretty: false, associative: false, blobArray: false, timings: false };
const render = (envelope: Partial<ResultsEnvelope>, options: Partial<RenderOptions> = {}): string =>
  renderResults({ results: [], shape: 'mixed', ...envelope }, { ...plain, ...options });

// A row of every kind, as rqlited returned it for
//   CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT, b BLOB, r REAL, d DATETIME, bo BOOLEAN)
//   INSERT INTO foo(name,b,r) VALUES('a<b>&\u2028', 'x', 1.5)
const fooRows = rows(
  ['id', 'name', 'b', 'r', 'd', 'bo'],
  ['integer', 'text', 'blob', 'real', 'datetime', 'boolean'],
  [[1n, 'a<b>&\u2028', 'x', 1.5, null, null]],
);

void describe('renderResults matches the bytes rqlited sends', () => {
  void test('a DDL statement is an empty object', () => {
    assert.equal(render({ results: [write(0n, 0n)] }), '{"results":[{}]}');
  });

  void test('a write with its ids; zero fields omitted', () => {
    assert.equal(
      render({ results: [write(1n, 1n)] }),
      '{"results":[{"last_insert_id":1,"rows_affected":1}]}',
    );
    assert.equal(render({ results: [write(7n, 0n)] }), '{"results":[{"last_insert_id":7}]}');
  });

  void test('a read, with HTML characters and U+2028 escaped', () => {
    assert.equal(
      render({ results: [fooRows], shape: 'rows' }),
      '{"results":[{"columns":["id","name","b","r","d","bo"],"types":["integer","text","blob","real","datetime","boolean"],"values":[[1,"a\\u003cb\\u003e\\u0026\\u2028","x",1.5,null,null]]}]}',
    );
  });

  void test('associative: types as an object, rows as objects, keys sorted', () => {
    assert.equal(
      render({ results: [fooRows], shape: 'rows' }, { associative: true }),
      '{"results":[{"types":{"b":"blob","bo":"boolean","d":"datetime","id":"integer","name":"text","r":"real"},"rows":[{"b":"x","bo":null,"d":null,"id":1,"name":"a\\u003cb\\u003e\\u0026\\u2028","r":1.5}]}]}',
    );
  });

  void test('associative: a repeated column keeps its last value; keys in byte order', () => {
    assert.equal(
      render({ results: [rows(['a', 'a'], ['integer', 'integer'], [[1n, 2n]])] }, { associative: true }),
      '{"results":[{"types":{"a":"integer"},"rows":[{"a":2}]}]}',
    );
    assert.equal(
      render(
        {
          results: [
            rows(['b', 'a', 'é', 'Z'], ['integer', 'integer', 'integer', 'integer'], [[1n, 2n, 3n, 4n]]),
          ],
        },
        { associative: true },
      ),
      '{"results":[{"types":{"Z":"integer","a":"integer","b":"integer","é":"integer"},"rows":[{"Z":4,"a":2,"b":1,"é":3}]}]}',
    );
  });

  void test('pretty, as json.MarshalIndent with four spaces', () => {
    assert.equal(
      render({ results: [fooRows], shape: 'rows' }, { pretty: true }),
      `{
    "results": [
        {
            "columns": [
                "id",
                "name",
                "b",
                "r",
                "d",
                "bo"
            ],
            "types": [
                "integer",
                "text",
                "blob",
                "real",
                "datetime",
                "boolean"
            ],
            "values": [
                [
                    1,
                    "a\\u003cb\\u003e\\u0026\\u2028",
                    "x",
                    1.5,
                    null,
                    null
                ]
            ]
        }
    ]
}`,
    );
    assert.equal(render({}, { pretty: true }), '{\n    "results": []\n}');
  });

  void test('no values key for a read without rows; no columns or types for a result without columns', () => {
    assert.equal(
      render({ results: [rows(['id'], ['integer'], [])], shape: 'rows' }),
      '{"results":[{"columns":["id"],"types":["integer"]}]}',
    );
    assert.equal(render({ results: [rows([], [], [])], shape: 'rows' }), '{"results":[{}]}');
    assert.equal(
      render({ results: [rows([], [], [])], shape: 'rows' }, { associative: true }),
      '{"results":[{"rows":[]}]}',
    );
  });

  void test('a failed statement: {"error"}, and on /db/query in associative mode {"rows":[],"error"}', () => {
    const error = failed('no such table: nope');
    assert.equal(
      render({ results: [error], shape: 'rows' }),
      '{"results":[{"error":"no such table: nope"}]}',
    );
    assert.equal(
      render({ results: [error], shape: 'rows' }, { associative: true }),
      '{"results":[{"rows":[],"error":"no such table: nope"}]}',
    );
    assert.equal(
      render({ results: [error], shape: 'rows' }, { associative: true, pretty: true }),
      '{\n    "results": [\n        {\n            "rows": [],\n            "error": "no such table: nope"\n        }\n    ]\n}',
    );
    assert.equal(
      render({ results: [error], shape: 'mixed' }, { associative: true }),
      '{"results":[{"error":"no such table: nope"}]}',
    );
  });

  void test('the unified endpoint in associative mode: writes get "rows":null', () => {
    assert.equal(
      render(
        { results: [write(1n, 1n), rows(['count(*)'], ['integer'], [[1n]]), failed('no such table: nope')] },
        { associative: true },
      ),
      '{"results":[{"last_insert_id":1,"rows_affected":1,"rows":null},{"types":{"count(*)":"integer"},"rows":[{"count(*)":1}]},{"error":"no such table: nope"}]}',
    );
  });

  void test('timings: per statement and for the request, as float seconds; none on failed statements', () => {
    assert.equal(
      render({ results: [write(5n, 1n, 0.000062987), failed('x')], seconds: 0.000427973 }, { timings: true }),
      '{"results":[{"last_insert_id":5,"rows_affected":1,"time":0.000062987},{"error":"x"}],"time":0.000427973}',
    );
    assert.equal(
      render({ results: [write(5n, 1n, 0.5)] }),
      '{"results":[{"last_insert_id":5,"rows_affected":1}]}',
    );
    assert.equal(
      render({ results: [rows(['a'], ['integer'], [[1n]], 2.26e-7)] }, { timings: true }),
      '{"results":[{"columns":["a"],"types":["integer"],"values":[[1]],"time":2.26e-7}]}',
    );
  });

  void test('request-level failure, sequence number and raft index in the envelope order', () => {
    assert.equal(render({ error: 'disallowed pragma' }), '{"results":[],"error":"disallowed pragma"}');
    assert.equal(
      render({ seconds: 0.051558758, sequenceNumber: 1795306979760083198n, raftIndex: 6 }),
      '{"results":[],"time":0.051558758,"sequence_number":1795306979760083198,"raft_index":6}',
    );
  });

  void test('values: int64 exact, REAL in Go form, booleans, BLOBs as base64 or byte arrays', () => {
    const values = rows(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      ['integer', 'integer', 'real', 'real', 'boolean', 'blob', 'blob'],
      [
        [
          9223372036854775807n,
          -9223372036854775808n,
          1e21,
          -0,
          true,
          Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
          new Uint8Array(0),
        ],
      ],
    );
    assert.equal(
      render({ results: [values] }),
      '{"results":[{"columns":["a","b","c","d","e","f","g"],"types":["integer","integer","real","real","boolean","blob","blob"],"values":[[9223372036854775807,-9223372036854775808,1e+21,-0,true,"3q2+7w==",""]]}]}',
    );
    assert.match(render({ results: [values] }, { blobArray: true }), /\[222,173,190,239\],\[\]\]\]/);
  });

  void test('a BLOB that is a view into a larger buffer is encoded from its own bytes only', () => {
    const backing = Uint8Array.from([1, 2, 3, 4, 5]);
    assert.match(render({ results: [rows(['b'], ['blob'], [[backing.subarray(1, 3)]])] }), /"AgM="/);
  });

  void test('an infinite REAL is refused as Go refuses it', () => {
    assert.throws(
      () => render({ results: [rows(['x'], ['real'], [[Infinity]])] }),
      UnsupportedJsonValueError,
    );
  });

  void test('a result whose rows do not match its columns is a loud error', () => {
    assert.throws(() => render({ results: [rows(['a'], ['integer', 'text'], [])] }), /different lengths/);
    assert.throws(() => render({ results: [rows(['a'], ['integer'], [[1n, 2n]])] }), /different length/);
  });
});

void describe('renderSqlPreviews', () => {
  void test('original and rewritten; an error instead of rewritten; time with timings', () => {
    assert.equal(
      renderSqlPreviews(
        [
          { original: 'SELECT RANDOM()', rewritten: 'SELECT 42' },
          { original: 'x', error: 'bad' },
        ],
        0.25,
        false,
      ),
      '{"results":[{"original":"SELECT RANDOM()","rewritten":"SELECT 42"},{"original":"x","error":"bad"}],"time":0.25}',
    );
  });
});

// Every shape the renderer can produce parses as JSON with the values it was given.
void test('rendered results are valid JSON with exact integers', () => {
  const results: StatementResult[] = [
    write(2n ** 62n, 3n),
    rows(['n'], ['integer'], [[-(2n ** 63n)]]),
    failed('e'),
  ];
  for (const associative of [false, true]) {
    for (const pretty of [false, true]) {
      const text = render({ results, seconds: 1.5 }, { associative, pretty, timings: true });
      assert.doesNotThrow(() => JSON.parse(text));
      assert.ok(text.includes('4611686018427387904') && text.includes('-9223372036854775808'));
    }
  }
});
