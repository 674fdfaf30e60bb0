// Dissertation §9.6 (PreVote) and §6.2 (CheckQuorum): keeping disruptive nodes from deposing a working
// leader, and keeping a cut-off leader from believing it still leads.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TestCluster } from './cluster.js';
import { drain, makeNode, ofType, tickUntilSending } from './single-node.js';

describe('dissertation §9.6: PreVote', () => {
  it('§9.6 a pre-candidate asks for pre-votes for its next term without changing its own term or vote', () => {
    const node = makeNode('1', { hardState: { term: 4, vote: '3', commit: 0 } });
    const { sent } = tickUntilSending(node, 100);
    const requests = ofType(sent, 'preVote');
    assert.deepEqual(
      requests.map((m) => [m.to, m.term]),
      [
        ['2', 5],
        ['3', 5],
      ],
    );
    const status = node.raw.status();
    assert.deepEqual([status.role, status.term, status.vote], ['preCandidate', 4, '3']);
    assert.deepEqual(
      node.storage.initialState().hardState,
      { term: 4, vote: '3', commit: 0 },
      'nothing to persist',
    );
  });

  it('§9.6 a pre-candidate that wins the pre-vote campaigns for real', () => {
    const node = makeNode('1', { hardState: { term: 4, vote: '', commit: 0 } });
    tickUntilSending(node, 100);
    node.raw.step({ type: 'preVoteResponse', from: '2', to: '1', term: 5, reject: false });
    const sent = drain(node);
    assert.equal(node.raw.status().role, 'candidate');
    assert.equal(node.raw.status().term, 5);
    assert.deepEqual(
      ofType(sent, 'vote').map((m) => m.to),
      ['2', '3'],
    );
  });

  it('§9.6 a pre-candidate that loses the pre-vote returns to follower in its old term', () => {
    const node = makeNode('1', { hardState: { term: 4, vote: '', commit: 0 } });
    tickUntilSending(node, 100);
    node.raw.step({ type: 'preVoteResponse', from: '2', to: '1', term: 4, reject: true });
    node.raw.step({ type: 'preVoteResponse', from: '3', to: '1', term: 4, reject: true });
    assert.deepEqual([node.raw.status().role, node.raw.status().term], ['follower', 4]);
  });

  it('§9.6 a pre-vote is granted only to a log at least as up to date, and records no vote', () => {
    const node = makeNode('1', {
      logTerms: [1, 2],
      hardState: { term: 2, vote: '', commit: 0 },
      options: { checkQuorum: false },
    });
    node.raw.step({ type: 'preVote', from: '2', to: '1', term: 3, lastIndex: 1, lastTerm: 2 });
    node.raw.step({ type: 'preVote', from: '3', to: '1', term: 3, lastIndex: 2, lastTerm: 2 });
    const answers = ofType(drain(node), 'preVoteResponse').map((m) => [m.to, m.reject, m.term]);
    assert.deepEqual(answers, [
      ['2', true, 2],
      ['3', false, 3],
    ]);
    assert.deepEqual([node.raw.status().term, node.raw.status().vote], [2, ''], 'a pre-vote changes nothing');
  });

  it('§9.6 a node cut off for a long time rejoins without raising the term or deposing the leader', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.isolate('3');
    cluster.run(100);
    assert.equal(cluster.raw('3').status().term, 1, 'its pre-votes failed, so it never raised its term');
    cluster.heal();
    cluster.run(10);
    assert.equal(cluster.leader(), '1');
    assert.equal(cluster.raw('1').status().term, 1);
  });

  it('without PreVote, the same partition raises the term and deposes the leader', () => {
    const cluster = new TestCluster({
      voters: ['1', '2', '3'],
      raft: { preVote: false, checkQuorum: false },
    });
    cluster.elect('1');
    cluster.isolate('3');
    cluster.run(100);
    assert.ok(cluster.raw('3').status().term > 5);
    cluster.heal();
    cluster.run(40);
    assert.ok(cluster.raw('1').status().term > 1, 'the rejoining node forced a new election');
  });
});

describe('dissertation §6.2: CheckQuorum', () => {
  it('§6.2 a leader that hears from no quorum for an election timeout steps down', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { electionTimeoutTicks: 10 } });
    cluster.elect('1');
    cluster.isolate('1');
    let ticks = 0;
    while (cluster.raw('1').status().role === 'leader' && ticks < 100) {
      cluster.tick('1');
      ticks++;
    }
    assert.ok(ticks >= 10 && ticks <= 20, `stepped down after ${ticks} ticks`);
    assert.equal(cluster.raw('1').status().term, 1, 'stepping down does not change the term');
  });

  it('§6.2 a leader keeps leading as long as a quorum answers, even with a minority gone', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3', '4', '5'] });
    cluster.elect('1');
    cluster.isolate('4');
    cluster.isolate('5');
    cluster.run(100);
    assert.equal(cluster.leader(), '1');
  });

  it('§6.2 without CheckQuorum a cut-off leader keeps believing it leads', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { checkQuorum: false } });
    cluster.elect('1');
    cluster.isolate('1');
    for (let tick = 0; tick < 100; tick++) cluster.tick('1');
    assert.equal(cluster.raw('1').status().role, 'leader');
  });

  it('§6.2 with CheckQuorum a follower that hears from its leader ignores disruptive vote requests', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { preVote: false } });
    cluster.elect('1');
    // Node 3 cannot hear the leader but can reach node 2: its campaigns must not win node 2's vote.
    cluster.block('1', '3');
    cluster.run(100);
    assert.equal(cluster.leader(), '1');
    assert.equal(cluster.raw('2').status().term, 1, 'node 2 ignored the higher-term requests');
  });

  it('a follower answers a stale-term append with its term, so a deposed leader learns and steps down', () => {
    const node = makeNode('2', {
      hardState: { term: 7, vote: '', commit: 0 },
      options: { preVote: false, checkQuorum: false },
    });
    node.raw.step({ type: 'heartbeat', from: '1', to: '2', term: 5, commit: 0, round: 3 });
    const answer = ofType(drain(node), 'appendResponse')[0];
    assert.equal(answer?.term, 7);
  });
});
