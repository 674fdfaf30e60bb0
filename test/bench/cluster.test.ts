import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeTarget } from '../../bench/cluster-figures.js';
import { agreedLeader, parseNodesAnswer } from '../../bench/cluster-members.js';
import {
  databaseBytesOf,
  fillRequest,
  fillRequestsFor,
  fillRowsPerRequest,
  fillValueBytes,
} from '../../bench/cluster-workloads.js';
import { BenchUsageError, parseBenchArguments } from '../../bench/options.js';

function member(id: string, leader: boolean, reachable = true): Record<string, unknown> {
  return {
    id,
    api_addr: `http://127.0.0.1:1${id}`,
    addr: `127.0.0.1:2${id}`,
    voter: true,
    reachable,
    leader,
  };
}

function nodesAnswer(...members: Array<Record<string, unknown>>): string {
  return JSON.stringify({ nodes: members });
}

describe('parseNodesAnswer', () => {
  it('reads both shapes of /nodes: the list under "nodes" and the object keyed by node ID', () => {
    const expected = {
      members: [
        { id: '1', reachable: true, leader: true },
        { id: '2', reachable: false, leader: false },
      ],
    };
    assert.deepEqual(parseNodesAnswer(nodesAnswer(member('1', true), member('2', false, false))), expected);
    const keyed = JSON.stringify({ '1': member('1', true), '2': member('2', false, false) });
    assert.deepEqual(parseNodesAnswer(keyed), expected);
  });

  it('says what is wrong with an answer it cannot read', () => {
    assert.match((parseNodesAnswer('leader not found') as { problem: string }).problem, /not JSON/);
    assert.match((parseNodesAnswer('[1, 2]') as { problem: string }).problem, /JSON object/);
    assert.match((parseNodesAnswer('{"nodes":[{"addr":"x"}]}') as { problem: string }).problem, /"id"/);
  });
});

describe('agreedLeader', () => {
  const ids = ['1', '2', '3'];
  const view = (leaderId: string, unreachable = ''): ReturnType<typeof parseNodesAnswer> =>
    parseNodesAnswer(nodesAnswer(...ids.map((id) => member(id, id === leaderId, id !== unreachable))));

  it('names the leader when every node sees the same three reachable members and one leader', () => {
    assert.deepEqual(agreedLeader(ids, [view('2'), view('2'), view('2')]), { leaderId: '2' });
  });

  it('refuses nodes that each lead a cluster of their own, as a node that ignored -join does', () => {
    const alone = (id: string): ReturnType<typeof parseNodesAnswer> =>
      parseNodesAnswer(nodesAnswer(member(id, true)));
    const verdict = agreedLeader(ids, [view('1'), alone('2'), alone('3')]);
    assert.ok('problem' in verdict);
    assert.match(verdict.problem, /node 2 lists members \[2\]/);
  });

  it('refuses an unreachable member, two leaders, a disagreement, or a node that did not answer', () => {
    const cases: Array<[ReturnType<typeof parseNodesAnswer>[], RegExp]> = [
      [[view('1', '3'), view('1'), view('1')], /node 1 cannot reach \[3\]/],
      [[view('1'), view('2'), view('1')], /disagree/],
      [[view('1'), { problem: 'connection refused' }, view('1')], /node 2: connection refused/],
      [
        [parseNodesAnswer(nodesAnswer(member('1', true), member('2', true), member('3', false)))],
        /leaders \[1, 2\]/,
      ],
      [[], /no node answered/],
    ];
    for (const [views, expected] of cases) {
      const verdict = agreedLeader(ids, views);
      assert.ok('problem' in verdict, `expected a problem matching ${expected}`);
      assert.match(verdict.problem, expected);
    }
  });
});

describe('judgeTarget', () => {
  const plain = (value: number): string => String(value);

  it('says met or missed, and by how much, for floors and ceilings', () => {
    assert.equal(
      judgeTarget('reads', 6000, 5000, 'at-least', plain),
      'reads at least 5000: 6000, met (1.20x the target)',
    );
    assert.equal(
      judgeTarget('reads', 4000, 5000, 'at-least', plain),
      'reads at least 5000: 4000, missed by 20% (0.80x the target)',
    );
    assert.equal(judgeTarget('p50', 1.2, 1.5, 'at-most', plain), 'p50 at most 1.5: 1.2, met');
    assert.equal(
      judgeTarget('p50', 3, 1.5, 'at-most', plain),
      'p50 at most 1.5: 3, missed by 100% (2.00x the target)',
    );
    assert.equal(
      judgeTarget('rss', 150, 150, 'below', plain),
      'rss below 150: 150, missed by 0% (1.00x the target)',
    );
    assert.equal(judgeTarget('rss', 10, 150, 'at-most', plain), 'rss at most 150: 10, met');
    assert.equal(judgeTarget('rss', undefined, 150, 'below', plain), 'rss below 150: not measured');
  });
});

describe('filling requests', () => {
  it('write distinct ids of the stated size in one transaction per request', () => {
    const first = fillRequest(0);
    const second = fillRequest(1);
    assert.equal(first.path, '/db/execute?transaction');
    const rows = JSON.parse(first.body ?? '') as Array<[string, number, string]>;
    assert.equal(rows.length, fillRowsPerRequest);
    assert.equal(rows[0]?.[1], 1);
    assert.equal(rows.at(-1)?.[1], fillRowsPerRequest);
    assert.ok(rows.every((row) => row[2].length === fillValueBytes));
    const next = JSON.parse(second.body ?? '') as Array<[string, number, string]>;
    assert.equal(next[0]?.[1], fillRowsPerRequest + 1);
  });

  it('are as many as the wanted bytes need, and at least one', () => {
    assert.equal(fillRequestsFor(0), 1);
    assert.equal(fillRequestsFor(fillRowsPerRequest * fillValueBytes), 1);
    assert.equal(fillRequestsFor(fillRowsPerRequest * fillValueBytes + 1), 2);
    assert.equal(fillRequestsFor(100 * 1024 * 1024), 105);
  });

  it('read the database size from a query answer, and nothing from anything else', () => {
    const answer = '{"results":[{"columns":["x"],"types":["integer"],"values":[[104857600]]}]}';
    assert.equal(databaseBytesOf(answer), 104857600);
    assert.equal(databaseBytesOf('{"results":[{"values":[["big"]]}]}'), undefined);
    assert.equal(databaseBytesOf('{"results":[]}'), undefined);
    assert.equal(databaseBytesOf('not json'), undefined);
  });
});

describe('the cluster group on the command line', () => {
  it('runs by default, not in a quick run unless named, and compares dustd on disk unless told', () => {
    assert.ok(parseBenchArguments([]).groups.includes('cluster'));
    assert.ok(!parseBenchArguments(['--quick']).groups.includes('cluster'));
    assert.deepEqual(parseBenchArguments(['--quick', '--only', 'cluster']).groups, ['cluster']);
    assert.equal(parseBenchArguments([]).clusterSubject, 'dustd-disk');
    assert.equal(parseBenchArguments(['--cluster-subject', 'rqlited']).clusterSubject, 'rqlited');
    assert.equal(parseBenchArguments(['--cluster-subject=dustd-memory']).clusterSubject, 'dustd-memory');
    assert.throws(() => parseBenchArguments(['--cluster-subject', 'etcd']), BenchUsageError);
  });
});
