import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { JsonValue } from '../../src/http/json-write.js';
import {
  renderDebugVars,
  renderNode,
  renderNodes,
  renderStatus,
  type NodeReport,
} from '../../src/http/status-render.js';

const tree: Record<string, JsonValue> = {
  store: {
    addr: '127.0.0.1:4002',
    raft: { state: 'Leader', term: 2n, applied_index: 1795307044793789754n },
    nothing: null,
    ro_dsn: 'file:db?a=1&b=2',
    nodes: [
      new Map<string, JsonValue>([
        ['id', '1'],
        ['addr', 'x'],
        ['suffrage', 'Voter'],
      ]),
    ],
  },
  os: { pid: 1234, hostname: 'vm' },
};

void describe('renderStatus', () => {
  void test('the whole tree: Go maps with sorted keys, structs (Maps) in their order, HTML escaped', () => {
    assert.equal(
      renderStatus(tree, '', false),
      '{"os":{"hostname":"vm","pid":1234},"store":{"addr":"127.0.0.1:4002","nodes":[{"id":"1","addr":"x","suffrage":"Voter"}],"nothing":null,"raft":{"applied_index":1795307044793789754,"state":"Leader","term":2},"ro_dsn":"file:db?a=1\\u0026b=2"}}',
    );
  });

  void test('pretty applies to the whole tree', () => {
    assert.equal(renderStatus({ a: { b: 1 } }, '', true), '{\n    "a": {\n        "b": 1\n    }\n}');
  });

  void test('key picks a subtree, compact even with pretty, as re-decoded by Go', () => {
    assert.equal(renderStatus(tree, 'store.raft.state', true), '"Leader"');
    assert.equal(renderStatus(tree, 'store.raft.term', false), '2');
    // Integers pass through float64 and structs become sorted maps.
    assert.equal(renderStatus(tree, 'store.raft.applied_index', false), '1795307044793789700');
    assert.equal(renderStatus(tree, 'store.nodes', false), '[{"addr":"x","id":"1","suffrage":"Voter"}]');
    assert.equal(renderStatus(tree, 'os', true), '{"hostname":"vm","pid":1234}');
  });

  void test('a missing key is {}; a path through a non-object stops at it; null is null', () => {
    assert.equal(renderStatus(tree, 'store.nope', false), '{}');
    assert.equal(renderStatus(tree, 'nope.deeper', false), '{}');
    assert.equal(renderStatus(tree, 'store.addr.x.y', false), '"127.0.0.1:4002"');
    assert.equal(renderStatus(tree, 'store.nothing', false), 'null');
    assert.equal(renderStatus(tree, 'store..raft', false), '{}');
  });
});

const leaderNode: NodeReport = {
  id: '1',
  apiUrl: 'http://127.0.0.1:4001',
  address: '127.0.0.1:4002',
  version: 'v8',
  voter: true,
  reachable: true,
  leader: true,
  probeNs: 589n,
};
const downNode: NodeReport = {
  id: '10',
  address: '127.0.0.1:4012',
  version: '',
  voter: false,
  reachable: false,
  leader: false,
  error: 'timeout waiting for node to respond',
};

void describe('renderNodes and renderNode', () => {
  void test('one node in Go struct order, time as seconds and as a Go duration', () => {
    assert.equal(
      renderNode(leaderNode, false),
      '{"id":"1","api_addr":"http://127.0.0.1:4001","addr":"127.0.0.1:4002","version":"v8","voter":true,"reachable":true,"leader":true,"time":5.89e-7,"time_s":"589ns"}',
    );
  });

  void test('an unreachable node: no api_addr or time, an error, version present even when empty', () => {
    assert.equal(
      renderNode(downNode, false),
      '{"id":"10","addr":"127.0.0.1:4012","version":"","voter":false,"reachable":false,"leader":false,"error":"timeout waiting for node to respond"}',
    );
  });

  void test('legacy form: an object keyed by ID; ver=2: an array sorted by ID', () => {
    const legacy = renderNodes([downNode, leaderNode], true, false);
    assert.ok(legacy.startsWith('{"1":{"id":"1",'));
    assert.ok(legacy.includes('},"10":{"id":"10",'));
    const current = renderNodes([downNode, leaderNode], false, false);
    assert.ok(current.startsWith('{"nodes":[{"id":"1",'));
    assert.deepEqual(
      (JSON.parse(current) as { nodes: { id: string }[] }).nodes.map((node) => node.id),
      ['1', '10'],
    );
    assert.equal(renderNodes([], false, true), '{\n    "nodes": []\n}');
  });
});

void describe('renderDebugVars', () => {
  const vars = new Map<string, JsonValue>([
    ['store', { num_snapshots: 3n, b: 'x&y', nested: { z: 1n, a: 2n } }],
    ['cmdline', ['/usr/bin/node', 'main.js']],
    [
      'memstats',
      new Map<string, JsonValue>([
        ['rss', 10],
        ['heap', 2],
      ]),
    ],
  ]);

  void test("Go's expvar layout: one entry per line in name order, maps with spaces", () => {
    assert.equal(
      renderDebugVars(vars, ''),
      '{\n"cmdline": ["/usr/bin/node","main.js"],\n"memstats": {"rss":10,"heap":2},\n"store": {"b": "x\\u0026y", "nested": {"a": 2, "z": 1}, "num_snapshots": 3}\n}\n',
    );
  });

  void test('key keeps one entry, or none', () => {
    assert.equal(renderDebugVars(vars, 'cmdline'), '{\n"cmdline": ["/usr/bin/node","main.js"]\n}\n');
    assert.equal(renderDebugVars(vars, 'nope'), '{\n\n}\n');
  });
});
