// Differential test: the same requests, in the same order, to the reference rqlited and to Dust, and
// their answers compared (status, the headers clients act on, body bytes with timings masked).
//
// Opt-in, because it starts a real rqlited:
//   DUST_DIFFERENTIAL=1 node --test dist/test/http/differential.test.js
// DUST_DIFFERENTIAL_VERBOSE=1 also prints the answers of the cases expected to differ.
// Dust's side is the API server over a small SQLite test store, or any running node given as a URL
// (a fresh one: the cases create tables and compare last_insert_id values):
//   DUST_DIFFERENTIAL=1 DUST_URL=http://127.0.0.1:4001 node --test dist/test/http/differential.test.js
//
// The reference is rqlited 8.26.8; Dust follows rqlite's current API where the two differ. Each case
// where the answers are expected to differ says why in `differs`; a case marked so that starts to
// agree is reported too, so that the marks stay true.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApiServer } from '../../src/http/server.js';
import type { DataStore } from '../../src/http/store.js';
import { FakeMembership, FakeStatus, send, type RawResponse } from './fake-node.js';
import { findRqlited, startReferenceNode } from './reference-node.js';
import { SqliteTestStore } from './sqlite-test-store.js';

interface Case {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Why Dust's answer is expected to differ from rqlited 8.26.8's. */
  readonly differs?: string;
  /**
   * The answer depends on rqlite's type conversions, which the real store implements and the small test
   * store does not: expected to differ only when Dust's side is that test store.
   */
  readonly storeRules?: true;
}

const json = { 'Content-Type': 'application/json' };
const text = { 'Content-Type': 'text/plain' };

function post(path: string, body: string, differs?: string): Case {
  return { method: 'POST', path, body, headers: json, ...(differs === undefined ? {} : { differs }) };
}

function get(path: string, differs?: string): Case {
  return { method: 'GET', path, ...(differs === undefined ? {} : { differs }) };
}

const newer = 'feature of rqlite after 8.26.8';

/** `{t}` in paths and bodies becomes a table-name prefix unique to the run. */
const cases: readonly Case[] = [
  // Routing, methods, OPTIONS, parameter validation (before routing).
  get('/', 'rqlite now redirects / to /console/ (8.26.8: /status)'),
  get('/nope'),
  get('/DB/QUERY?q=SELECT%201'),
  get('//db/query?q=SELECT%201'),
  get('/db/%71uery?q=SELECT%201'),
  get('/db/query/../query?q=SELECT%201'),
  get('/debug/vars/x'),
  { method: 'OPTIONS', path: '/nope?timeout=x' },
  get('/nope?timeout=x'),
  get('/db/query?q=SELECT%201&timeout=1x'),
  get('/db/query?q=SELECT%201&%zz'),
  get('/db/query?q=SELECT%201&%z'),
  get('/db/query?q=SELECT%201;pretty'),
  get('/db/query?q=SELECT%201&freshness_strict'),
  get('/db/query?q=SELECT%201&freshness=1s&freshness_strict'),
  get('/db/query?q=SELECT%201&retries=1.5'),
  get('/db/query?q=SELECT%201&retries=%2B3'),
  get('/db/query?q=SELECT%201&trailing_logs=99999999999999999999'),
  get('/db/query?q=SELECT%201&db_timeout=5'),
  get('/db/query?q=SELECT%201&db_timeout='),
  get('/db/query?q=SELECT%201&timeout=-1s'),
  get('/db/query?q=SELECT%201&timeout=1.5s'),
  get('/db/query?q=SELECT%201&timeout=2%C2%B5s'),
  get('/db/query?q=SELECT%201&timeout=2%CE%BCs'),
  get('/db/query?q=SELECT%201&timeout=.5s'),
  get('/db/query?q=SELECT%201&timeout=5.'),
  get('/db/query?q=SELECT%201&timeout=1h2m3s4ms5us6ns'),
  get('/db/query?q=SELECT%201&timeout=9223372036854775807ns'),
  get('/db/query?q=SELECT%201&timeout=9223372036854775808ns'),
  get('/db/query?q=SELECT%201&timeout=-9223372036854775808ns'),
  get('/db/query?q=SELECT%201&timeout=3000000h'),
  get('/db/query?q=SELECT%201&linearizable_timeout=bad', 'rqlite now validates linearizable_timeout'),
  get('/db/query?q=SELECT%201&q=SELECT%202'),
  get('/db/query?q=&q=SELECT%202'),
  get('/db/query?q=SELECT%202&q='),
  get('/db/query?q='),
  get('/db/query'),
  get('/db/query?q=SELECT%201&level=bogus'),
  get('/db/query?q=SELECT%201&level=NONE'),
  get('/db/query?q=SELECT%201&level=strong'),
  { method: 'PUT', path: '/db/query?q=SELECT%201' },
  { method: 'DELETE', path: '/db/execute' },
  get('/db/execute'),
  get('/db/executefoo'),
  get('/db/request'),
  { method: 'POST', path: '/status' },
  { method: 'POST', path: '/nodes' },
  { method: 'POST', path: '/readyz' },
  { method: 'POST', path: '/db/backup' },
  get('/db/load'),
  get('/boot'),
  get('/snapshot'),
  get('/remove'),
  { method: 'DELETE', path: '/remove', body: '{}', headers: json },
  { method: 'DELETE', path: '/remove', body: '{"id":"1","x":"2"}', headers: json },
  { method: 'DELETE', path: '/remove', body: '{"id":5}', headers: json },
  { method: 'DELETE', path: '/remove', body: 'garbage', headers: json },
  { method: 'DELETE', path: '/remove', body: 'null', headers: json },
  // A well-formed removal of a node that does not exist is left out: rqlited 8.26.8 then grows without
  // bound (tens of GB) until the machine runs out of memory.
  { method: 'DELETE', path: '/remove', body: '{"id":"9"} x', headers: json },
  { method: 'HEAD', path: '/db/query?q=SELECT%201' },
  { method: 'POST', path: '/db/query', body: '["SELECT 1"]', headers: { 'Transfer-Encoding': 'chunked' } },
  get('/readyz?noleader'),
  get('/readyz', 'rqlite now also reads from the database ([+]db ok)'),
  get('/db/sql?q=SELECT%201', newer),
  get('/leader', newer),

  // Malformed bodies.
  post('/db/execute', ''),
  post('/db/execute', '   '),
  post('/db/execute', '[]'),
  post('/db/execute', ' [ ] '),
  post('/db/execute', '{}'),
  post('/db/execute', '{"a"'),
  post('/db/execute', '"x"'),
  post('/db/execute', '"abc'),
  post('/db/execute', '1'),
  post('/db/execute', '1x'),
  post('/db/execute', 'null'),
  post('/db/execute', 'true'),
  post('/db/execute', 'tru'),
  post('/db/execute', ']'),
  post('/db/execute', '['),
  post('/db/execute', '[,]'),
  post('/db/execute', '[}'),
  post('/db/execute', '["SELECT 1"'),
  post('/db/execute', '["SELECT 1",]'),
  post('/db/execute', '["SELECT 1"}'),
  post('/db/execute', '["SELECT 1",}'),
  post('/db/execute', '["a"x'),
  post('/db/execute', '["SELECT 1" "SELECT 2"]'),
  post('/db/execute', '["a\\x"]'),
  post('/db/execute', '["\u0001"]'),
  post('/db/execute', '\ufeff["SELECT 1"]'),
  post('/db/execute', '[1]'),
  post('/db/execute', '[01]'),
  post('/db/execute', '[truex]'),
  post('/db/execute', '[null]'),
  post('/db/execute', '[{}]'),
  post('/db/execute', '[[]]'),
  post('/db/execute', '[[]'),
  post('/db/execute', '[[1]]'),
  post('/db/execute', '[["a"'),
  post('/db/execute', '[["a"}]'),
  post('/db/execute', '[["a", 1, }]'),
  post('/db/execute', '[1, "SELECT 1"]'),
  post('/db/execute', '["SELECT 1", 1]'),
  post('/db/execute', '[["SELECT ?", 1 2]]'),
  post('/db/execute', '[["SELECT ?", tru]]'),
  post('/db/execute', '[["SELECT ?", 01]]'),
  post('/db/execute', '[["SELECT ?", -]]'),
  post('/db/execute', '[["SELECT ?", 1x]]'),
  post('/db/execute', '[["SELECT ?", 1e400]]'),
  post('/db/execute', '[["SELECT ?", -1e400]]'),
  post('/db/execute', '[["SELECT ?", {"a":{"b":1}}]]', 'rqlite now names the unsupported Go type'),
  post('/db/execute', '[["SELECT ?", [1, {}], x]]'),
  post('/db/execute', '[["SELECT ?", {"a":[1]}], garbage', 'rqlite now binds byte arrays as BLOBs'),
  post('/db/execute', '[["SELECT ?", {"a":[1]}, garbage]]'),
  post('/db/execute', '[["SELECT ?", [1,2]]]', 'rqlite now binds byte arrays as BLOBs'),
  post('/db/execute', '[""]'),
  post('/db/execute', '["", ""]'),
  post('/db/execute?pretty', '[""]'),
  post('/db/query', '[["", 1]]'),
  post('/db/request', '[]'),
  post('/db/request', '{}'),
  post('/db/query', '[1]'),
  { method: 'POST', path: '/db/execute', body: 'CREATE TABLE {t}x (a)', headers: text, differs: newer },
  { method: 'POST', path: '/db/request', body: 'SELECT 1', headers: text },
  { method: 'POST', path: '/db/execute', body: '["SELECT 1"]', headers: { 'Content-Type': 'TEXT/PLAIN' } },
  {
    method: 'POST',
    path: '/db/execute',
    body: '["SELECT 1"]',
    headers: { 'Content-Type': 'text/plainx' },
    differs: newer,
  },

  // Results: writes, reads, shapes, values.
  post('/db/execute', '["CREATE TABLE {t}foo (id INTEGER PRIMARY KEY, name TEXT, r REAL, n NUMERIC)"]'),
  post('/db/execute?pretty', '["CREATE TABLE {t}bar (x)"]'),
  post('/db/execute', '[["INSERT INTO {t}foo(name, r) VALUES(?, ?)", "fiona", 1.5]]'),
  post('/db/execute?timings', '["INSERT INTO {t}foo(name) VALUES(\'a<b>&\u2028\')"]'),
  post('/db/execute', '[["INSERT INTO {t}foo(name, r) VALUES(:name, :r)", {"name": "sinead", "r": 2}]]'),
  post(
    '/db/execute',
    '["INSERT INTO {t}foo(name) VALUES(\'x\')", "INSERT INTO nope VALUES(1)", "INSERT INTO {t}foo(name) VALUES(\'y\')"]',
  ),
  post(
    '/db/execute?transaction',
    '["INSERT INTO {t}foo(name) VALUES(\'z\')", "INSERT INTO nope VALUES(1)", "INSERT INTO {t}foo(name) VALUES(\'w\')"]',
  ),
  post('/db/execute?timings', '["INSERT INTO nope VALUES(1)"]'),
  post('/db/execute', '["INSERT INTO {t}foo(name) VALUES(\'r\') RETURNING id, name"]'),
  post(
    '/db/execute?associative',
    '["INSERT INTO {t}foo(name) VALUES(\'s\')"]',
    'rqlite now marks writes with "rows":null in associative mode',
  ),
  get('/db/query?q=SELECT%20*%20FROM%20{t}foo%20ORDER%20BY%20id'),
  get('/db/query?q=SELECT%20*%20FROM%20{t}foo%20ORDER%20BY%20id&associative'),
  get('/db/query?q=SELECT%20*%20FROM%20{t}foo%20ORDER%20BY%20id&pretty'),
  get('/db/query?q=SELECT%20*%20FROM%20{t}foo%20ORDER%20BY%20id&pretty&associative'),
  get('/db/query?q=SELECT%20*%20FROM%20{t}foo%20WHERE%200'),
  get('/db/query?q=SELECT%20*%20FROM%20{t}foo%20WHERE%200&associative'),
  get('/db/query?q=SELECT%20*%20FROM%20nope'),
  get('/db/query?q=SELECT%20*%20FROM%20nope&associative'),
  get('/db/query?q=SELECT%20*%20FROM%20nope&pretty&associative'),
  post('/db/query', '["SELECT count(*) FROM {t}foo", "SELECT * FROM nope", "", "SELECT 2"]'),
  post('/db/query', '["INSERT INTO {t}foo(name) VALUES(\'q\')"]'),
  post('/db/query?associative', '["select 1 as a, 2 as a", "select 1 as b, 2 as a, 3 as \u00e9, 4 as Z"]'),
  post(
    '/db/query',
    '["SELECT 9223372036854775807, -9223372036854775808, 1.0, 2.26e-7, 1e21, 1e20, -0.0, 0.1+0.2, \'\', null, 123456789012345678, 1e-6, 1e-7, 123456789.123, 5e-324, 1.7976931348623157e308"]',
  ),
  post(
    '/db/query',
    '[["SELECT ?, ?, ?, ?, ?, ?, ?", 9223372036854775807, 9223372036854775808, 1.0, true, false, null, 1e-400]]',
  ),
  post('/db/query', '[["SELECT ?, ?, ?", -0.0, 0.0, -0]]'),
  post(
    '/db/query',
    '[["SELECT ?", "\\u0000\\b\\f\\n\\r\\t\\u001f\\u007f\\"\\\\/\\ud800\\udc00\\ud800x\\udc00"]]',
  ),
  post('/db/query', '[["SELECT :a, @b, $c", {"a": 1, "b": "x"}, {"c": 2.5}]]'),
  post('/db/query', '[["SELECT ?, :a", 7, {"a": 1}]]'),
  post('/db/query', '["SELECT 1e999"]'),
  post('/db/query', '["SELECT -1e999"]'),
  {
    ...post('/db/query?blob_array', "[\"SELECT CAST('' AS BLOB) AS e, CAST('abc' AS BLOB) AS b\"]"),
    storeRules: true,
  },
  { ...post('/db/query', "[\"SELECT CAST('' AS BLOB) AS e, CAST('abc' AS BLOB) AS b\"]"), storeRules: true },
  // DDL echoes the connection's stale changes() on rqlite; the test store reports 0 like better-sqlite3.
  { ...post('/db/execute', '["CREATE TABLE {t}blobs (b BLOB)"]'), storeRules: true },
  post('/db/execute', '[["INSERT INTO {t}bar(x) VALUES(?)", "x\'DEADBEEF\'"]]'),
  post('/db/query', '[["SELECT typeof(?)", "x\'DEADBEEF\'"]]', newer),
  post('/db/query', '[["SELECT typeof(?)", " X\'deadbeef\'\\n"]]', newer),
  post('/db/query', '[["SELECT typeof(?)", "x\'ABC\'"]]'),
  post('/db/query', '[["SELECT typeof(?)", "x\'\'"]]', newer),
  post('/db/query', '[["SELECT typeof(?)", "x\'"]]'),
  post(
    '/db/execute',
    '["INSERT INTO {t}blobs(b) VALUES(x\'\')", "INSERT INTO {t}blobs(b) VALUES(x\'00ff10\')"]',
  ),
  get('/db/query?q=SELECT%20b%20FROM%20{t}blobs'),
  get('/db/query?q=SELECT%20b%20FROM%20{t}blobs&blob_array'),
  get('/db/query?q=SELECT%20b%20FROM%20{t}blobs&blob_array&associative'),
  post(
    '/db/request',
    '["INSERT INTO {t}foo(name) VALUES(\'t\')", "SELECT count(*) FROM {t}foo", "SELECT * FROM nope"]',
  ),
  post('/db/request?associative', '["SELECT count(*) FROM {t}foo", "SELECT * FROM nope"]'),
  post(
    '/db/request?associative',
    '["INSERT INTO {t}foo(name) VALUES(\'u\')", "SELECT name FROM {t}foo WHERE name = \'u\'"]',
  ),
  post('/db/request?pretty', '["SELECT 1"]'),
  get('/status?key=store.nope'),
  get('/status?key=nope.deeper'),
  get('/debug/vars?key=nope'),
];

/**
 * The store behind Dust's side when no DUST_URL is given. Replace it to compare the API over another
 * store implementation (the real one, once it exists) without starting a node.
 */
function createStore(): DataStore & { close(): void } {
  return new SqliteTestStore();
}

function normalise(response: RawResponse): string {
  const shown = ['content-type', 'x-content-type-options', 'location'];
  const headers = response.headers
    .filter(([name]) => shown.includes(name.toLowerCase()))
    .map(([name, value]) => `${name.toLowerCase()}: ${value}`)
    .sort();
  const body = response
    .text()
    .replace(/"time":\s?[0-9.e+-]+/g, '"time":T')
    .replace(/"time_s":\s?"[^"]*"/g, '"time_s":"T"');
  return [`${response.status}`, ...headers, body].join('\n');
}

void test(
  'Dust answers every case as rqlited does',
  { skip: process.env.DUST_DIFFERENTIAL !== '1' && 'set DUST_DIFFERENTIAL=1 to compare with rqlited' },
  async (context) => {
    const binary = findRqlited();
    if (binary === undefined) return context.skip('the rqlite package (rqlited) is not installed');
    const reference = await startReferenceNode(binary);
    const store = process.env.DUST_URL === undefined ? createStore() : undefined;
    const local =
      store === undefined
        ? undefined
        : createApiServer(
            { store, status: new FakeStatus(), membership: new FakeMembership() },
            { version: 'dust' },
          );
    try {
      let dustPort: number;
      if (local === undefined) {
        const url = new URL(process.env.DUST_URL ?? '');
        assert.ok(
          url.hostname === '127.0.0.1' || url.hostname === 'localhost',
          'DUST_URL must be on this machine',
        );
        dustPort = Number(url.port);
      } else {
        dustPort = (await local.listen(0, '127.0.0.1')).port;
      }
      const prefix = `d${process.pid}_`;
      const unexpected: string[] = [];
      const nowAgreeing: string[] = [];
      for (const testCase of cases) {
        const path = testCase.path.replaceAll('{t}', prefix);
        const body = testCase.body?.replaceAll('{t}', prefix);
        const expected = normalise(await send(reference.port, testCase.method, path, body, testCase.headers));
        const actual = normalise(await send(dustPort, testCase.method, path, body, testCase.headers));
        const label = `${testCase.method} ${path} ${body === undefined ? '' : JSON.stringify(body)}`;
        const mayDiffer =
          testCase.differs !== undefined || (local !== undefined && testCase.storeRules === true);
        if (expected !== actual && !mayDiffer) {
          unexpected.push(`${label}\n--- rqlited\n${expected}\n--- dust\n${actual}`);
        } else if (expected !== actual && process.env.DUST_DIFFERENTIAL_VERBOSE === '1') {
          context.diagnostic(`expected difference: ${label}\n--- rqlited\n${expected}\n--- dust\n${actual}`);
        } else if (expected === actual && testCase.differs !== undefined) {
          nowAgreeing.push(`${label} (marked: ${testCase.differs})`);
        }
      }
      if (nowAgreeing.length > 0) {
        context.diagnostic(`cases marked as differing that agree:\n${nowAgreeing.join('\n')}`);
      }
      assert.deepEqual(
        unexpected,
        [],
        `${unexpected.length} of ${cases.length} cases differ:\n\n${unexpected.join('\n\n')}`,
      );
    } finally {
      await local?.close();
      store?.close();
      await reference.stop();
    }
  },
);
