// Raft paper §5.1 (terms), §5.2 (leader election) and §5.4.1 (election restriction), clause by clause.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { HeartbeatRequest, VoteRequest } from '../../src/raft/index.js';
import { TestCluster } from './cluster.js';
import { drain, makeNode, ofType, tickUntilSending } from './single-node.js';

const noPreVote = { preVote: false, checkQuorum: false };

function heartbeat(from: string, to: string, term: number): HeartbeatRequest {
  return { type: 'heartbeat', from, to, term, commit: 0, round: 1 };
}

function voteRequest(from: string, to: string, term: number, lastIndex = 0, lastTerm = 0): VoteRequest {
  return { type: 'vote', from, to, term, lastIndex, lastTerm, transfer: false };
}

describe('§5.1 terms', () => {
  it('§5.1 a node starts as a follower, in its persisted term, with no leader', () => {
    const node = makeNode('1', { hardState: { term: 4, vote: '2', commit: 0 } });
    const status = node.raw.status();
    assert.equal(status.role, 'follower');
    assert.equal(status.term, 4);
    assert.equal(status.vote, '2');
    assert.equal(status.leaderId, '');
  });

  for (const role of ['follower', 'candidate', 'leader'] as const) {
    it(`§5.1 a ${role} that sees a higher term adopts it and becomes a follower`, () => {
      const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: noPreVote });
      if (role === 'leader') cluster.elect('1');
      if (role === 'candidate') cluster.campaign('1');
      const raw = cluster.raw('1');
      assert.equal(raw.status().role, role);
      raw.step(heartbeat('3', '1', 9));
      const status = raw.status();
      assert.equal(status.role, 'follower');
      assert.equal(status.term, 9);
      assert.equal(status.leaderId, '3');
      assert.equal(status.vote, '', 'a new term starts without a vote');
    });
  }

  it('§5.1 a request with a stale term is refused, and the answer carries the current term', () => {
    const node = makeNode('1', { hardState: { term: 5, vote: '', commit: 0 }, options: noPreVote });
    node.raw.step({
      type: 'append',
      from: '2',
      to: '1',
      term: 3,
      prevIndex: 0,
      prevTerm: 0,
      commit: 0,
      entries: [],
    });
    const sent = drain(node);
    assert.deepEqual(
      sent.map((m) => [m.type, m.term]),
      [['appendResponse', 5]],
    );
    assert.equal(node.raw.status().term, 5);
    assert.equal(node.raw.status().leaderId, '', 'a stale leader is not followed');
    node.raw.step({ ...voteRequest('2', '1', 4), lastIndex: 10, lastTerm: 4 });
    assert.deepEqual(
      drain(node).map((m) => [m.type, m.term, m.type === 'voteResponse' && m.reject]),
      [['voteResponse', 5, true]],
      'a stale vote request is refused with the current term',
    );
  });
});

describe('§5.1 terms: catching up', () => {
  it('§5.1 a candidate behind in term adopts the term of the node that refuses it', () => {
    const node = makeNode('1', { hardState: { term: 3, vote: '', commit: 0 }, options: noPreVote });
    node.raw.campaign();
    drain(node);
    assert.deepEqual([node.raw.status().role, node.raw.status().term], ['candidate', 4]);
    node.raw.step({ type: 'voteResponse', from: '2', to: '1', term: 9, reject: true });
    assert.deepEqual([node.raw.status().role, node.raw.status().term], ['follower', 9]);
    // Its next campaign is for term 10, which the others can grant.
    node.raw.campaign();
    assert.equal(node.raw.status().term, 10);
  });
});

describe('§5.2 leader election', () => {
  it('§5.2 a leader sends heartbeats to every follower, every heartbeat interval', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { heartbeatIntervalTicks: 3 } });
    cluster.elect('1');
    const node = cluster.node('1');
    const heartbeatTicks: number[] = [];
    for (let tick = 1; tick <= 9; tick++) {
      node.raw.tick();
      const ready = node.raw.ready();
      const targets = ofType(ready.messages, 'heartbeat').map((m) => m.to);
      node.raw.advance(ready);
      if (targets.length > 0) {
        assert.deepEqual(targets.sort(), ['2', '3']);
        heartbeatTicks.push(tick);
      }
    }
    assert.deepEqual(heartbeatTicks, [3, 6, 9]);
  });

  it('§5.2 a follower that hears from no leader for its election timeout becomes a candidate', () => {
    const node = makeNode('1', { hardState: { term: 2, vote: '', commit: 0 }, options: noPreVote });
    const { ticks, sent } = tickUntilSending(node, 100);
    assert.ok(ticks >= 10 && ticks < 20, `campaigned after ${ticks} ticks, expected within [10, 20)`);
    const status = node.raw.status();
    assert.equal(status.role, 'candidate');
    assert.equal(status.term, 3, 'a candidate increments its term');
    assert.equal(status.vote, '1', 'a candidate votes for itself');
    assert.deepEqual(
      ofType(sent, 'vote').map((m) => [m.to, m.term]),
      [
        ['2', 3],
        ['3', 3],
      ],
    );
  });

  it('§5.2 a candidate that times out without a decision starts a new election in a new term', () => {
    const node = makeNode('1', { options: noPreVote });
    tickUntilSending(node, 100);
    assert.equal(node.raw.status().term, 1);
    tickUntilSending(node, 100);
    assert.equal(node.raw.status().role, 'candidate');
    assert.equal(node.raw.status().term, 2);
  });

  it('§5.2 hearing from the current leader resets the election timer', () => {
    const node = makeNode('1', { hardState: { term: 2, vote: '', commit: 0 }, options: noPreVote });
    for (let tick = 0; tick < 60; tick++) {
      node.raw.tick();
      if (tick % 5 === 0) node.raw.step(heartbeat('2', '1', 2));
      drain(node);
    }
    assert.equal(node.raw.status().role, 'follower');
    assert.equal(node.raw.status().term, 2);
  });

  // (voters, granted votes including its own, rejections) → outcome.
  const elections: [number, number, number, string][] = [
    [1, 1, 0, 'leader'],
    [3, 2, 0, 'leader'],
    [3, 2, 1, 'leader'],
    [3, 1, 2, 'follower'],
    [3, 1, 0, 'candidate'],
    [5, 3, 0, 'leader'],
    [5, 2, 2, 'candidate'],
    [5, 2, 3, 'follower'],
  ];
  for (const [voters, granted, rejected, outcome] of elections) {
    it(`§5.2 a candidate of ${voters} voters with ${granted} grants and ${rejected} rejections ends ${outcome}`, () => {
      const ids = Array.from({ length: voters }, (_, i) => String(i + 1));
      const node = makeNode('1', { voters: ids, options: noPreVote });
      node.raw.campaign();
      drain(node);
      const others = ids.slice(1);
      for (const id of others.slice(0, granted - 1)) {
        node.raw.step({ type: 'voteResponse', from: id, to: '1', term: 1, reject: false });
      }
      for (const id of others.slice(granted - 1, granted - 1 + rejected)) {
        node.raw.step({ type: 'voteResponse', from: id, to: '1', term: 1, reject: true });
      }
      assert.equal(node.raw.status().role, outcome);
    });
  }

  it('§5.2 each node votes for at most one candidate in a term, first come first served', () => {
    const node = makeNode('1', { options: noPreVote });
    node.raw.step(voteRequest('2', '1', 1));
    node.raw.step(voteRequest('3', '1', 1));
    node.raw.step(voteRequest('2', '1', 1));
    const answers = ofType(drain(node), 'voteResponse').map(
      (m) => `${m.to}:${m.reject ? 'reject' : 'grant'}`,
    );
    assert.deepEqual(answers, ['2:grant', '3:reject', '2:grant']);
    assert.equal(node.storage.initialState().hardState.vote, '2', 'the vote is durable');
  });

  it('§5.2 a node that knows the leader of its term refuses votes in that term', () => {
    const node = makeNode('1', { hardState: { term: 3, vote: '', commit: 0 }, options: noPreVote });
    node.raw.step(heartbeat('2', '1', 3));
    node.raw.step(voteRequest('3', '1', 3));
    const answer = ofType(drain(node), 'voteResponse')[0];
    assert.equal(answer?.reject, true);
  });

  it('§5.2 a candidate that hears from a leader of its own term returns to follower', () => {
    const node = makeNode('1', { options: noPreVote });
    node.raw.campaign();
    drain(node);
    assert.equal(node.raw.status().role, 'candidate');
    node.raw.step({
      type: 'append',
      from: '2',
      to: '1',
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      commit: 0,
      entries: [],
    });
    assert.equal(node.raw.status().role, 'follower');
    assert.equal(node.raw.status().leaderId, '2');
  });

  it('§5.2 election timeouts are randomized over [T, 2T), so split votes resolve', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const node = makeNode('1', { seed, options: { ...noPreVote, electionTimeoutTicks: 10 } });
      const { ticks } = tickUntilSending(node, 100);
      assert.ok(ticks >= 10 && ticks < 20, `seed ${seed}: timeout of ${ticks} ticks`);
      seen.add(ticks);
    }
    assert.ok(seen.size >= 8, `only ${seen.size} distinct timeouts in 200 nodes`);
  });

  it('§5.2 a cluster elects exactly one leader and every node follows it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = new TestCluster({ voters: ['1', '2', '3', '4', '5'], seed });
      cluster.run(40);
      const leader = cluster.leader();
      assert.ok(leader !== undefined, `seed ${seed}: no leader`);
      for (const node of cluster.nodes.values()) assert.equal(node.raw.status().leaderId, leader);
    }
  });
});

describe('§5.4.1 election restriction', () => {
  // (voter's last entry, candidate's last entry) → whether the vote is granted.
  const cases: [[number, number], [number, number], boolean][] = [
    [[2, 2], [2, 2], true],
    [[2, 2], [3, 2], true],
    [[2, 2], [1, 2], false],
    [[2, 2], [1, 3], true],
    [[2, 2], [5, 1], false],
    [[3, 3], [3, 2], false],
  ];
  for (const [[voterIndex, voterTerm], [candidateIndex, candidateTerm], granted] of cases) {
    it(`§5.4.1 a voter with last entry ${voterIndex}/${voterTerm} ${granted ? 'grants' : 'refuses'} a candidate at ${candidateIndex}/${candidateTerm}`, () => {
      const terms = Array.from({ length: voterIndex }, (_, i) => (i === voterIndex - 1 ? voterTerm : 1));
      const node = makeNode('1', {
        logTerms: terms,
        hardState: { term: 3, vote: '', commit: 0 },
        options: noPreVote,
      });
      node.raw.step(voteRequest('2', '1', 4, candidateIndex, candidateTerm));
      const answer = ofType(drain(node), 'voteResponse')[0];
      assert.equal(answer?.reject, !granted);
    });
  }
});
