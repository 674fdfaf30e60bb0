// What the server asks of the store, the proxy and the status provider, and how it translates their
// answers and failures into rqlite's responses.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import type { StatementsCommand } from '../../src/command/types.js';
import {
  ForwardUnauthorizedError,
  LeaderNotFoundError,
  NotLeaderError,
  StaleReadError,
  StoreNotOpenError,
  StoreTimeoutError,
  noLeaderElsewhere,
  type LeaderHint,
  type LeaderProxy,
  type QueryOptions,
} from '../../src/http/store.js';
import { failed, rows, send, startFakeNode, write, type FakeNode } from './fake-node.js';

const json = { 'Content-Type': 'application/json' };

void describe('data endpoints prepare statements for the store', () => {
  let node: FakeNode;
  before(async () => {
    node = await startFakeNode();
  });
  after(() => node.close());
  beforeEach(() => {
    node.store.calls.length = 0;
    node.store.responder = (call) => ({ results: call.statements.map(() => write(0n, 0n)) });
  });

  void test('execute: one command with every non-empty statement, rewritten, parameters bound', async () => {
    const response = await send(
      node.port,
      'POST',
      '/db/execute?transaction',
      '["INSERT INTO t VALUES(RANDOM())", "", ["INSERT INTO t VALUES(?, :n)", 9223372036854775807, {"n": "x"}], "INSERT INTO t VALUES(1) RETURNING *"]',
      json,
    );
    assert.equal(response.status, 200);
    const [call] = node.store.calls;
    assert.equal(call?.operation, 'execute');
    const command = call?.command as StatementsCommand;
    assert.equal(command.kind, 'statements');
    assert.equal(command.mode, 'execute');
    assert.equal(command.transaction, true);
    assert.deepEqual(command.statements, [
      { sql: 'INSERT INTO t VALUES(42)', positional: [], named: {}, returnsRows: false },
      {
        sql: 'INSERT INTO t VALUES(?, :n)',
        positional: [9223372036854775807n],
        named: { n: 'x' },
        returnsRows: false,
      },
      { sql: 'INSERT INTO t VALUES(1) RETURNING *', positional: [], named: {}, returnsRows: true },
    ]);
  });

  void test('execute: norwrandom keeps RANDOM(); noparse also skips RETURNING detection', async () => {
    await send(node.port, 'POST', '/db/execute?norwrandom', '["SELECT RANDOM() RETURNING 1"]', json);
    await send(node.port, 'POST', '/db/execute?noparse', '["SELECT RANDOM() RETURNING 1"]', json);
    const [kept, raw] = node.store.calls.map((call) => call.statements[0]);
    assert.deepEqual(kept, {
      sql: 'SELECT RANDOM() RETURNING 1',
      positional: [],
      named: {},
      returnsRows: true,
    });
    assert.deepEqual(raw, {
      sql: 'SELECT RANDOM() RETURNING 1',
      positional: [],
      named: {},
      returnsRows: false,
    });
  });

  void test('execute: a text/plain body is one statement, whatever it holds', async () => {
    await send(node.port, 'POST', '/db/execute', 'CREATE TABLE t (a); INSERT INTO t VALUES(1)', {
      'Content-Type': 'text/plain; charset=utf-8',
    });
    assert.deepEqual(
      node.store.calls[0]?.statements.map((statement) => statement.sql),
      ['CREATE TABLE t (a); INSERT INTO t VALUES(1)'],
    );
  });

  void test('query: rewritten only at level strong, with the read options passed through', async () => {
    await send(node.port, 'GET', '/db/query?q=SELECT%20RANDOM()');
    await send(
      node.port,
      'POST',
      '/db/query?level=strong&transaction&db_timeout=2s&freshness=1s&freshness_strict&linearizable_timeout=3s',
      '["SELECT RANDOM()"]',
      json,
    );
    const [weak, strong] = node.store.calls;
    assert.equal(weak?.statements[0]?.sql, 'SELECT RANDOM()');
    const weakOptions = weak?.options as QueryOptions;
    assert.equal(weakOptions.level, 'weak');
    assert.equal(weakOptions.linearizableTimeoutMs, 10_000);
    assert.equal(weakOptions.dbTimeoutMs, 0);
    assert.equal(strong?.statements[0]?.sql, 'SELECT 42');
    const { signal: _signal, ...strongOptions } = strong?.options as QueryOptions;
    assert.deepEqual(strongOptions, {
      level: 'strong',
      transaction: true,
      freshnessMs: 1000,
      freshnessStrict: true,
      linearizableTimeoutMs: 3000,
      dbTimeoutMs: 2000,
    });
  });

  void test('request: every statement rewritten, level passed', async () => {
    await send(
      node.port,
      'POST',
      '/db/request?level=none',
      '["SELECT RANDOM()", "INSERT INTO t VALUES(RANDOM())"]',
      json,
    );
    const [call] = node.store.calls;
    assert.equal(call?.operation, 'request');
    assert.deepEqual(
      call?.statements.map((statement) => statement.sql),
      ['SELECT 42', 'INSERT INTO t VALUES(42)'],
    );
    assert.equal((call?.options as QueryOptions).level, 'none');
  });

  void test('a disallowed PRAGMA refuses the whole request in a 200 body, without the store', async () => {
    for (const path of ['/db/execute', '/db/query', '/db/request']) {
      const response = await send(
        node.port,
        'POST',
        path,
        '["SELECT 1", "PRAGMA journal_mode=DELETE"]',
        json,
      );
      assert.equal(response.status, 200);
      assert.equal(response.text(), '{"results":[],"error":"disallowed pragma"}');
    }
    assert.equal(node.store.calls.length, 0);
  });

  void test('only statements with SQL reach the store; none at all means no call', async () => {
    const response = await send(node.port, 'POST', '/db/request', '["", ""]', json);
    assert.equal(response.text(), '{"results":[]}');
    assert.equal(node.store.calls.length, 0);
  });

  void test('results, served-by, raft index and timings', async () => {
    node.store.responder = () => ({
      results: [write(3n, 1n, 0.001), rows(['a'], ['integer'], [[1n]])],
      raftIndex: 17,
    });
    const plain = await send(
      node.port,
      'POST',
      '/db/request',
      '["INSERT INTO t VALUES(1)", "SELECT 1"]',
      json,
    );
    assert.equal(
      plain.text(),
      '{"results":[{"last_insert_id":3,"rows_affected":1},{"columns":["a"],"types":["integer"],"values":[[1]]}]}',
    );
    assert.equal(plain.header('X-Rqlite-Served-By'), '127.0.0.1:4001');
    const indexed = await send(node.port, 'POST', '/db/request?raft_index&timings', '["SELECT 1"]', json);
    assert.match(
      indexed.text(),
      /^\{"results":\[\{"last_insert_id":3,"rows_affected":1,"time":0\.001\},\{"columns":\["a"\],"types":\["integer"\],"values":\[\[1\]\]\}\],"time":[0-9.e-]+,"raft_index":17\}$/,
    );
  });
});

void describe('store failures become rqlite answers', () => {
  let node: FakeNode;
  let forwarded: { operation: string; leader: LeaderHint }[];
  let proxyAnswer: () => Promise<never> | undefined;
  const proxy: LeaderProxy = {
    execute: (_command, _options, leader) => {
      forwarded.push({ operation: 'execute', leader });
      return (
        proxyAnswer() ??
        Promise.resolve({ value: { results: [write(5n, 1n)], raftIndex: 9 }, servedBy: '10.0.0.2:4002' })
      );
    },
    query: (_statements, _options, leader) => {
      forwarded.push({ operation: 'query', leader });
      return proxyAnswer() ?? Promise.resolve({ value: { results: [] }, servedBy: '10.0.0.2:4002' });
    },
    request: (...args) => noLeaderElsewhere.request(...args),
    remove: (_id, leader) => {
      forwarded.push({ operation: 'remove', leader });
      return Promise.resolve({ value: undefined, servedBy: '10.0.0.2:4002' });
    },
    stepdown: (...args) => noLeaderElsewhere.stepdown(...args),
    load: (...args) => noLeaderElsewhere.load(...args),
  };

  before(async () => {
    node = await startFakeNode({}, proxy);
  });
  after(() => node.close());
  beforeEach(() => {
    forwarded = [];
    proxyAnswer = () => undefined;
  });

  void test('a request-level StoreError is a 200 with the message, and time with timings', async () => {
    node.store.responder = () => Promise.reject(new StaleReadError());
    const response = await send(node.port, 'GET', '/db/query?q=SELECT%201&level=none&freshness=1s');
    assert.equal(response.status, 200);
    assert.equal(response.text(), '{"results":[],"error":"stale read"}');
    assert.equal(response.header('X-Rqlite-Served-By'), undefined);
    const timed = await send(node.port, 'GET', '/db/query?q=SELECT%201&timings');
    assert.match(timed.text(), /^\{"results":\[\],"error":"stale read","time":[0-9.e-]+\}$/);
  });

  void test('no leader known: 503 leader not found', async () => {
    node.store.responder = () => Promise.reject(new LeaderNotFoundError());
    const response = await send(node.port, 'POST', '/db/execute', '["SELECT 1"]', json);
    assert.equal(response.status, 503);
    assert.equal(response.text(), 'leader not found\n');
  });

  void test('not the leader, with redirect: 301 to the same path and query on the leader, no body', async () => {
    node.store.responder = () => Promise.reject(new NotLeaderError({ apiUrl: 'http://10.0.0.2:4001' }));
    const response = await send(node.port, 'POST', '/db/execute?redirect&timings', '["SELECT 1"]', json);
    assert.equal(response.status, 301);
    assert.equal(response.header('Location'), 'http://10.0.0.2:4001/db/execute?redirect&timings');
    assert.equal(response.text(), '');
    assert.deepEqual(forwarded, []);
  });

  void test('not the leader, redirect asked, leader unknown: 500 leader not found, as rqlite', async () => {
    node.store.responder = () => Promise.reject(new NotLeaderError());
    const response = await send(node.port, 'GET', '/db/query?q=SELECT%201&redirect');
    assert.equal(response.status, 500);
    assert.equal(response.text(), 'leader not found\n');
  });

  void test('not the leader: forwarded to the leader, served-by the leader', async () => {
    node.store.responder = () =>
      Promise.reject(new NotLeaderError({ apiUrl: 'http://10.0.0.2:4001', address: '10.0.0.2:4002' }));
    const response = await send(
      node.port,
      'POST',
      '/db/execute?raft_index',
      '["INSERT INTO t VALUES(1)"]',
      json,
    );
    assert.equal(response.status, 200);
    assert.equal(response.text(), '{"results":[{"last_insert_id":5,"rows_affected":1}],"raft_index":9}');
    assert.equal(response.header('X-Rqlite-Served-By'), '10.0.0.2:4002');
    assert.deepEqual(forwarded, [
      { operation: 'execute', leader: { apiUrl: 'http://10.0.0.2:4001', address: '10.0.0.2:4002' } },
    ]);
  });

  void test('forwarding failures: unauthorized is 401, others are 200 with the message', async () => {
    node.store.responder = () => Promise.reject(new NotLeaderError({ address: '10.0.0.2:4002' }));
    proxyAnswer = () => Promise.reject(new ForwardUnauthorizedError());
    const unauthorized = await send(node.port, 'POST', '/db/execute', '["SELECT 1"]', json);
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.text(), 'remote Execute not authorized\n');
    proxyAnswer = () => Promise.reject(new StoreTimeoutError('timeout waiting for leader'));
    const timedOut = await send(node.port, 'GET', '/db/query?q=SELECT%201');
    assert.equal(timedOut.text(), '{"results":[],"error":"timeout waiting for leader"}');
  });

  void test('the default proxy has nobody to forward to: 503 leader not found', async () => {
    node.store.responder = () => Promise.reject(new NotLeaderError({ address: '10.0.0.2:4002' }));
    const response = await send(node.port, 'POST', '/db/request', '["SELECT 1"]', json);
    assert.equal(response.status, 503);
    assert.equal(response.text(), 'leader not found\n');
  });

  void test('an unexpected exception is a 500 with its message, reported, and the server goes on', async () => {
    node.store.responder = () => {
      throw new TypeError('boom');
    };
    const response = await send(node.port, 'POST', '/db/execute', '["SELECT 1"]', json);
    assert.equal(response.status, 500);
    assert.equal(response.text(), 'internal error: boom\n');
    assert.ok(node.internalErrors.some((error) => error instanceof TypeError));
    node.internalErrors.length = 0;
    node.store.responder = () => ({ results: [] });
    assert.equal((await send(node.port, 'GET', '/readyz?noleader')).status, 200);
  });

  void test('an infinite REAL fails as rqlite fails', async () => {
    node.store.responder = () => ({ results: [rows(['x'], ['real'], [[Infinity]])] });
    const response = await send(node.port, 'GET', '/db/query?q=SELECT%201e999');
    assert.equal(response.status, 500);
    assert.equal(
      response.text(),
      'json: error calling MarshalJSON for type *http.DBResults: json: unsupported value: +Inf\n',
    );
  });

  void test('a failed statement is a result, not a failure of the request', async () => {
    node.store.responder = () => ({ results: [failed('no such table: nope')] });
    const response = await send(node.port, 'GET', '/db/query?q=SELECT%201&associative');
    assert.equal(response.text(), '{"results":[{"rows":[],"error":"no such table: nope"}]}');
  });

  void test('remove: local, redirected, forwarded', async () => {
    node.membership.failure = undefined;
    const local = await send(node.port, 'DELETE', '/remove', '{"id":"2"}', json);
    assert.equal(local.status, 200);
    assert.equal(local.header('X-Rqlite-Served-By'), '127.0.0.1:4001');
    assert.deepEqual(node.membership.removed, ['2']);
    node.membership.failure = new NotLeaderError({ apiUrl: 'http://10.0.0.2:4001' });
    const redirected = await send(node.port, 'DELETE', '/remove?redirect', '{"id":"3"}', json);
    assert.equal(redirected.status, 301);
    assert.equal(redirected.header('Location'), 'http://10.0.0.2:4001/remove?redirect');
    const viaLeader = await send(node.port, 'DELETE', '/remove', '{"id":"3"}', json);
    assert.equal(viaLeader.status, 200);
    assert.equal(viaLeader.header('X-Rqlite-Served-By'), '10.0.0.2:4002');
    node.membership.failure = new StoreTimeoutError('timeout waiting for node removal confirmation');
    const timedOut = await send(node.port, 'DELETE', '/remove', '{"id":"3"}', json);
    assert.equal(timedOut.status, 500);
    assert.equal(timedOut.text(), 'timeout waiting for node removal confirmation\n');
    node.membership.failure = undefined;
  });
});

void describe('status endpoints', () => {
  let node: FakeNode;
  before(async () => {
    node = await startFakeNode();
  });
  after(() => node.close());

  void test('/status: the node sections and the provider sections, sorted, with key and pretty', async () => {
    const whole = JSON.parse((await send(node.port, 'GET', '/status')).text()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(whole), ['build', 'http', 'node', 'os', 'runtime', 'store']);
    assert.deepEqual(whole.build, { version: 'v0.1.0' });
    assert.equal((whole.node as { start_time: string }).start_time, '2026-01-02T03:04:05.678Z');
    assert.equal((whole.http as { bind_addr: string }).bind_addr, `127.0.0.1:${node.port}`);
    assert.equal((await send(node.port, 'GET', '/status?key=store.leader.node_id')).text(), '"1"');
    assert.equal((await send(node.port, 'GET', '/status?key=os.pid')).text(), String(process.pid));
  });

  void test('/nodes: voters unless nonvoters, legacy or ver=2, probed within timeout', async () => {
    node.status.members_ = [
      { id: '1', address: '127.0.0.1:4002', voter: true },
      { id: '2', address: '127.0.0.1:4012', voter: true },
      { id: '3', address: '127.0.0.1:4022', voter: false },
    ];
    node.status.probe_ = (member) =>
      member.id === '2'
        ? // Answers too late, and then fails: neither may disturb the response or the process.
          new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late')), 150))
        : { reachable: true, apiUrl: `http://${member.address}`, version: 'v0.1.0' };
    const legacy = JSON.parse((await send(node.port, 'GET', '/nodes?timeout=50ms')).text()) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(Object.keys(legacy), ['1', '2']);
    assert.equal(legacy['1']?.leader, true);
    assert.equal(legacy['2']?.reachable, false);
    assert.equal(legacy['2']?.error, 'timeout waiting for node to respond');
    const current = JSON.parse(
      (await send(node.port, 'GET', '/nodes?ver=2&nonvoters&timeout=50ms')).text(),
    ) as {
      nodes: { id: string; voter: boolean; leader: boolean }[];
    };
    assert.deepEqual(
      current.nodes.map((member) => [member.id, member.voter, member.leader]),
      [
        ['1', true, true],
        ['2', true, false],
        ['3', false, false],
      ],
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    node.status.members_ = [{ id: '1', address: '127.0.0.1:4002', voter: true }];
    node.status.probe_ = () => ({ reachable: true, apiUrl: 'http://127.0.0.1:4001', version: 'v0.1.0' });
  });

  void test('/nodes: a store that is not open is 503', async () => {
    const members = node.status.members.bind(node.status);
    node.status.members = () => Promise.reject(new StoreNotOpenError());
    try {
      const response = await send(node.port, 'GET', '/nodes');
      assert.equal(response.status, 503);
      assert.equal(response.text(), 'store nodes: store not open\n');
    } finally {
      node.status.members = members;
    }
  });

  void test('/leader: the leader node, or 503; POST steps down, to a chosen node', async () => {
    const leader = JSON.parse((await send(node.port, 'GET', '/leader')).text()) as Record<string, unknown>;
    assert.equal(leader.id, '1');
    assert.equal(leader.leader, true);
    node.status.leader_ = undefined;
    const none = await send(node.port, 'GET', '/leader');
    assert.equal(none.status, 503);
    assert.equal(none.text(), 'leader not found\n');
    node.status.leader_ = { id: '1', address: '127.0.0.1:4002', voter: true };

    assert.equal((await send(node.port, 'POST', '/leader?wait', '{"ID":"2"}', json)).status, 200);
    assert.equal(
      (await send(node.port, 'POST', '/leader', '{"id":"3"}', { 'Content-Type': 'text/plain' })).status,
      200,
    );
    assert.deepEqual(node.membership.stepdowns, [
      { wait: true, targetId: '2' },
      { wait: false, targetId: undefined },
    ]);
    const invalid = await send(node.port, 'POST', '/leader', '{"id":', json);
    assert.equal(invalid.status, 400);
    assert.match(invalid.text(), /^invalid JSON: /);
    node.membership.failure = new StoreNotOpenError();
    const notOpen = await send(node.port, 'POST', '/leader', '', json);
    assert.equal(notOpen.status, 503);
    assert.equal(notOpen.text(), 'stepdown: store not open\n');
    node.membership.failure = undefined;
  });

  void test('/readyz: each check in rqlite order, with rqlite lines', async () => {
    const readiness = async (path = '/readyz'): Promise<string> => {
      const response = await send(node.port, 'GET', path);
      return `${response.status} ${response.text()}`;
    };
    node.store.responder = () => ({ results: [rows(['1'], ['integer'], [[1n]])] });
    assert.equal(await readiness(), '200 [+]node ok\n[+]leader ok\n[+]store ok\n[+]db ok');
    assert.equal(
      await readiness('/readyz?sync'),
      '200 [+]node ok\n[+]leader ok\n[+]store ok\n[+]sync ok\n[+]db ok',
    );
    node.status.committed = () => Promise.reject(new StoreTimeoutError('timeout'));
    assert.equal(
      await readiness('/readyz?sync'),
      '503 [+]node ok\n[+]leader ok\n[+]store ok\n[+]sync timeout',
    );
    node.status.committed = () => Promise.resolve();
    node.status.ready = false;
    assert.equal(await readiness(), '503 [+]node ok\n[+]leader ok\n[+]store not ready');
    node.status.ready = true;
    node.status.probe_ = () => ({ reachable: false, error: 'connection refused' });
    assert.equal(await readiness(), '503 [+]node ok\n[+]leader not contactable: connection refused');
    node.status.probe_ = () => ({ reachable: true, apiUrl: 'http://127.0.0.1:4001', version: 'v0.1.0' });
    node.status.leader_ = new LeaderNotFoundError();
    assert.equal(await readiness(), '503 [+]node ok\n[+]leader does not exist');
    assert.equal(await readiness('/readyz?noleader'), '200 [+]node ok');
    node.status.leader_ = { id: '1', address: '127.0.0.1:4002', voter: true };
    node.store.responder = () => Promise.reject(new StoreNotOpenError());
    assert.equal(
      await readiness(),
      '503 [+]node ok\n[+]leader ok\n[+]store ok\n[+]db not ok: (store not open, [])',
    );
  });

  void test('/debug/vars: the node entries and the provider entries, in name order', async () => {
    const text = (await send(node.port, 'GET', '/debug/vars')).text();
    const names = [...text.matchAll(/^"([^"]+)": /gm)].map((match) => match[1]);
    assert.deepEqual(names, ['cmdline', 'http', 'memstats', 'queue', 'store']);
    assert.match(text, /"http": \{"backups": 0, /);
  });
});
