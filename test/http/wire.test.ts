// Table of requests and the exact answers rqlite gives them (status, content type, nosniff, location,
// body bytes), recorded from rqlited and, where rqlite's API has moved on since that version, from
// rqlite's current code. Dust's server runs over the fake store, which answers with empty results.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { fixedNowMs, send, startFakeNode, type FakeNode } from './fake-node.js';

interface WireCase {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** Content-Type expected, or undefined for none. */
  readonly contentType?: 'json' | 'text' | 'html';
  readonly location?: string;
  readonly expected: string;
}

const contentTypes = {
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

/** rqlite's http.Error: plain text, nosniff, a trailing newline. */
function refused(method: string, path: string, status: number, message: string, body?: string): WireCase {
  return {
    method,
    path,
    status,
    contentType: 'text',
    expected: `${message}\n`,
    ...(body === undefined ? {} : { body }),
  };
}

const cases: readonly WireCase[] = [
  // Routing and methods.
  {
    method: 'GET',
    path: '/',
    status: 302,
    contentType: 'html',
    location: '/console/',
    expected: '<a href="/console/">Found</a>.\n\n',
  },
  {
    method: 'GET',
    path: '/console',
    status: 301,
    contentType: 'html',
    location: '/console/',
    expected: '<a href="/console/">Moved Permanently</a>.\n\n',
  },
  { method: 'POST', path: '/', status: 302, location: '/console/', expected: '' },
  { method: 'GET', path: '/nope', status: 404, expected: '' },
  { method: 'GET', path: '/DB/QUERY?q=SELECT%201', status: 404, expected: '' },
  { method: 'GET', path: '//db/query?q=SELECT%201', status: 404, expected: '' },
  { method: 'GET', path: '/debug/vars/x', status: 404, expected: '' },
  { method: 'GET', path: '/leaderx', status: 404, expected: '' },
  { method: 'OPTIONS', path: '/nope?timeout=x', status: 200, expected: '' },
  { method: 'OPTIONS', path: '/db/execute', status: 200, expected: '' },
  { method: 'PUT', path: '/db/query?q=SELECT%201', status: 405, contentType: 'json', expected: '' },
  { method: 'DELETE', path: '/db/execute', status: 405, contentType: 'json', expected: '' },
  { method: 'GET', path: '/db/execute', status: 405, contentType: 'json', expected: '' },
  { method: 'GET', path: '/db/executefoo', status: 405, contentType: 'json', expected: '' },
  { method: 'GET', path: '/db/request', status: 405, contentType: 'json', expected: '' },
  { method: 'PUT', path: '/db/sql', status: 405, contentType: 'json', expected: '' },
  { method: 'POST', path: '/status', status: 405, contentType: 'json', expected: '' },
  { method: 'POST', path: '/nodes', status: 405, contentType: 'json', expected: '' },
  { method: 'PUT', path: '/leader', status: 405, contentType: 'json', expected: '' },
  { method: 'POST', path: '/readyz', status: 405, expected: '' },
  { method: 'POST', path: '/db/backup', status: 405, expected: '' },
  { method: 'GET', path: '/db/load', status: 405, expected: '' },
  { method: 'GET', path: '/boot', status: 405, expected: '' },
  { method: 'GET', path: '/snapshot', status: 405, expected: '' },
  { method: 'GET', path: '/remove', status: 405, expected: '' },
  { method: 'HEAD', path: '/db/query?q=SELECT%201', status: 405, contentType: 'json', expected: '' },
  {
    method: 'GET',
    path: '/db/%71uery?q=SELECT%201',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{}]}',
  },
  {
    method: 'GET',
    path: '/db/query/../query?q=SELECT%201',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{}]}',
  },

  // Parameter validation comes before routing, even for unknown paths.
  refused('GET', '/nope?timeout=x', 400, 'timeout is not a valid duration'),
  refused('GET', '/db/query?q=SELECT%201&timeout=1x', 400, 'timeout is not a valid duration'),
  refused('GET', '/db/query?q=SELECT%201&%zz', 400, 'invalid URL escape "%zz"'),
  refused('GET', '/db/query?q=SELECT%201;pretty', 400, 'invalid semicolon separator in query'),
  refused('GET', '/db/query?q=SELECT%201&freshness_strict', 400, 'freshness_strict requires freshness'),
  refused('GET', '/db/query?q=SELECT%201&retries=1.5', 400, 'retries is not a valid integer'),
  refused('GET', '/db/query?q=SELECT%201&db_timeout=5', 400, 'db_timeout is not a valid duration'),
  refused('GET', '/db/query?q=&q=SELECT%202', 400, 'query parameter not set'),
  refused(
    'GET',
    '/db/query?q=SELECT%201&linearizable_timeout=bad',
    400,
    'linearizable_timeout is not a valid duration',
  ),
  refused('GET', '/db/%zzuery', 400, '400 Bad Request'),

  // Bodies.
  refused('POST', '/db/execute', 400, 'invalid JSON body', ''),
  refused('POST', '/db/execute', 400, 'no statements', '[]'),
  refused('POST', '/db/execute', 400, 'invalid request', '{}'),
  refused('POST', '/db/execute', 400, 'invalid request', '[1]'),
  refused('POST', '/db/execute', 400, 'invalid JSON body', '["SELECT 1",]'),
  refused('POST', '/db/execute', 400, 'invalid number 1e400', '[["SELECT ?", 1e400]]'),
  refused(
    'POST',
    '/db/execute',
    400,
    'unsupported type map[string]interface {}',
    '[["SELECT ?", {"a":{"b":1}}]]',
  ),
  refused('POST', '/db/query', 400, 'invalid request', '[1]'),
  refused('POST', '/db/request', 400, 'no statements', '[]'),
  refused('POST', '/db/sql', 400, 'invalid JSON body', 'x'),
  refused('GET', '/db/sql', 400, 'query not specified'),
  {
    method: 'POST',
    path: '/db/execute',
    body: '["SELECT 1"] garbage',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{}]}',
  },
  {
    method: 'POST',
    path: '/db/execute',
    body: '[""]',
    status: 200,
    contentType: 'json',
    expected: '{"results":[]}',
  },
  {
    method: 'POST',
    path: '/db/execute?pretty',
    body: '["", ""]',
    status: 200,
    contentType: 'json',
    expected: '{\n    "results": []\n}',
  },
  {
    method: 'POST',
    path: '/db/query',
    body: '[["", 1]]',
    status: 200,
    contentType: 'json',
    expected: '{"results":[]}',
  },
  { method: 'GET', path: '/db/query', status: 200, contentType: 'json', expected: '{"results":[]}' },
  {
    method: 'POST',
    path: '/db/execute?associative',
    body: '["INSERT INTO t VALUES(1)"]',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{"rows":null}]}',
  },
  {
    method: 'GET',
    path: '/db/sql?q=SELECT%20RANDOM()',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{"original":"SELECT RANDOM()","rewritten":"SELECT 42"}]}',
  },
  {
    method: 'GET',
    path: '/db/sql?q=SELECT%20RANDOM()&norwrandom',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{"original":"SELECT RANDOM()","rewritten":"SELECT RANDOM()"}]}',
  },
  {
    method: 'POST',
    path: '/db/sql',
    body: '["SELECT 1", ""]',
    status: 200,
    contentType: 'json',
    expected: '{"results":[{"original":"SELECT 1","rewritten":"SELECT 1"},{"original":""}]}',
  },

  // Membership and diagnostics.
  { method: 'DELETE', path: '/remove', body: '{}', status: 400, expected: '' },
  { method: 'DELETE', path: '/remove', body: 'null', status: 400, expected: '' },
  { method: 'DELETE', path: '/remove', body: '{"id":"1","x":"2"}', status: 400, expected: '' },
  { method: 'DELETE', path: '/remove', body: '{"id":5}', status: 400, expected: '' },
  { method: 'DELETE', path: '/remove', body: '{"id":"9"} x', status: 400, expected: '' },
  { method: 'DELETE', path: '/remove', body: '{"idx":"9"}', status: 400, expected: '' },
  { method: 'DELETE', path: '/remove', body: '{"id":"9"}', status: 200, expected: '' },
  { method: 'DELETE', path: '/remove', body: '{"id":"9","id":"8"}', status: 200, expected: '' },
  { method: 'GET', path: '/readyz?noleader', status: 200, contentType: 'text', expected: '[+]node ok' },
  {
    method: 'GET',
    path: '/status?key=store.raft.state',
    status: 200,
    contentType: 'json',
    expected: '"Leader"',
  },
  { method: 'GET', path: '/status?key=store.nope', status: 200, contentType: 'json', expected: '{}' },
  { method: 'GET', path: '/statusfoo?key=store.raft.term', status: 200, contentType: 'json', expected: '2' },
  { method: 'GET', path: '/debug/vars?key=nope', status: 200, contentType: 'json', expected: '{\n\n}\n' },
  {
    method: 'POST',
    path: '/debug/vars?key=store',
    status: 200,
    contentType: 'json',
    expected: '{\n"store": {"num_snapshots": 0}\n}\n',
  },
  { method: 'POST', path: '/leader', status: 200, contentType: 'json', expected: '' },

  // Endpoints not built yet: rqlite's method check, then 501.
  refused('GET', '/db/backup', 501, 'backup (/db/backup) is not supported yet by this version of Dust'),
  refused('POST', '/db/load', 501, 'loading (/db/load) is not supported yet by this version of Dust', 'x'),
  refused('POST', '/boot', 501, 'booting (/boot) is not supported yet by this version of Dust'),
  refused(
    'POST',
    '/snapshot',
    501,
    'on-demand snapshots (/snapshot) is not supported yet by this version of Dust',
  ),
  refused('GET', '/console/', 501, 'the web console (/console) is not supported yet by this version of Dust'),
  // A queued write is answered at once with its sequence number: the node's start in nanoseconds, plus one.
  {
    method: 'POST',
    path: '/db/execute?queue',
    body: '["SELECT 1"]',
    status: 200,
    contentType: 'json',
    expected: `{"results":[],"sequence_number":${BigInt(fixedNowMs) * 1_000_000n + 1n}}`,
  },
];

void describe('every answer has the bytes rqlite sends', () => {
  let node: FakeNode;
  before(async () => {
    node = await startFakeNode();
  });
  after(() => node.close());

  for (const wire of cases) {
    void test(`${wire.method} ${wire.path} ${wire.body === undefined ? '' : JSON.stringify(wire.body)}`, async () => {
      const headers = wire.body === undefined ? {} : { 'Content-Type': 'application/json' };
      const response = await send(node.port, wire.method, wire.path, wire.body, {
        ...headers,
        ...wire.headers,
      });
      assert.equal(response.status, wire.status);
      assert.equal(response.text(), wire.expected);
      const expectedType = wire.contentType === undefined ? undefined : contentTypes[wire.contentType];
      assert.equal(response.header('Content-Type'), expectedType);
      assert.equal(
        response.header('X-Content-Type-Options'),
        wire.contentType === 'text' && wire.status >= 400 ? 'nosniff' : undefined,
      );
      assert.equal(response.header('Location'), wire.location);
      assert.equal(response.header('X-Rqlite-Version'), 'v0.1.0');
      assert.equal(response.header('Access-Control-Allow-Methods'), 'OPTIONS, GET, POST');
      assert.equal(response.header('Access-Control-Allow-Headers'), 'Content-Type');
      assert.equal(response.header('Access-Control-Allow-Origin'), undefined);
      if (wire.method !== 'HEAD') {
        assert.equal(response.header('Content-Length'), String(response.body.length));
      }
    });
  }

  void test('no case made the server report an internal error', () => {
    assert.deepEqual(node.internalErrors, []);
  });
});

void describe('headers are sent in the order Go sends them', () => {
  void test('sorted names, then Date and Content-Length', async () => {
    const node = await startFakeNode({ allowOrigin: 'https://example.com' });
    try {
      const response = await send(node.port, 'GET', '/db/query?q=SELECT%201');
      assert.deepEqual(
        response.headers.map(([name]) => name).filter((name) => name !== 'Connection'),
        [
          'Access-Control-Allow-Headers',
          'Access-Control-Allow-Methods',
          'Access-Control-Allow-Origin',
          'Content-Type',
          'X-Rqlite-Served-By',
          'X-Rqlite-Version',
          'Date',
          'Content-Length',
        ],
      );
      assert.equal(response.header('Access-Control-Allow-Origin'), 'https://example.com');
      assert.match(
        response.header('Date') ?? '',
        /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
      );
      const readiness = await send(node.port, 'GET', '/readyz?noleader');
      assert.deepEqual(
        readiness.headers
          .map(([name]) => name)
          .filter((name) => name !== 'Connection')
          .slice(-3),
        ['Date', 'Content-Length', 'Content-Type'],
        'a sniffed content type comes after Content-Length',
      );
    } finally {
      await node.close();
    }
  });
});
