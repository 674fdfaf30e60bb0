// The ordering contract written on the Ready type: what may leave before the Ready is durable, what must
// wait, when the leader counts itself, and how the hand-off must be used.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  MemoryStorage,
  RaftConfigError,
  RaftInvariantError,
  RaftUsageError,
  RawNode,
  readyNeedsPersistence,
  SeededRandom,
} from '../../src/raft/index.js';
import { TestCluster, text } from './cluster.js';
import { drain, makeNode, ofType, persist } from './single-node.js';

describe('the Ready ordering contract', () => {
  it('a leader sends new entries at once, before they are durable on its own disk', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.raw('1').propose(text('x'));
    const ready = cluster.raw('1').ready();
    assert.equal(ready.entries.length, 1);
    assert.equal(ofType(ready.messages, 'append').length, 2, 'the appends may go before the fsync');
    assert.deepEqual(ready.persistedMessages, []);
    persist(cluster.node('1'), ready);
    cluster.raw('1').advance(ready);
  });

  it('the leader counts itself toward a commit only once advance() reports its entries durable', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    const leader = cluster.node('1');
    leader.raw.propose(text('x'));
    const ready = leader.raw.ready();
    // Only node 2 receives and acknowledges; the leader's own write is still in progress.
    const toTwo = ofType(ready.messages, 'append').filter((m) => m.to === '2');
    for (const message of toTwo) {
      cluster.raw('2').step(message);
      cluster.process('2');
    }
    for (const answer of cluster.queue.filter((m) => m.type === 'appendResponse')) leader.raw.step(answer);
    cluster.queue = [];
    assert.equal(leader.raw.status().commit, 1, 'one durable copy (node 2) of three is not a majority');
    persist(leader, ready);
    leader.raw.advance(ready);
    assert.equal(leader.raw.status().commit, 2, 'the leader’s own durable copy makes two');
  });

  it('entries acknowledged by a majority of followers commit even before the leader’s own write ends', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    const leader = cluster.node('1');
    leader.raw.propose(text('x'));
    const ready = leader.raw.ready();
    for (const message of ofType(ready.messages, 'append')) {
      cluster.raw(message.to).step(message);
      cluster.process(message.to);
    }
    for (const answer of cluster.queue.filter((m) => m.type === 'appendResponse')) leader.raw.step(answer);
    cluster.queue = [];
    assert.equal(leader.raw.status().commit, 2);
    persist(leader, ready);
    leader.raw.advance(ready);
    const next = leader.raw.ready();
    assert.deepEqual(
      next.committedEntries.map((e) => e.index),
      [2],
      'applied once its own Ready is durable',
    );
    persist(leader, next);
    leader.raw.advance(next);
  });

  it('a follower acknowledges entries only after they are durable', () => {
    const node = makeNode('2', { hardState: { term: 1, vote: '', commit: 0 } });
    node.raw.step({
      type: 'append',
      from: '1',
      to: '2',
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      entries: [{ index: 1, term: 1, type: 'normal', data: text('x') }],
      commit: 0,
    });
    const ready = node.raw.ready();
    assert.equal(ready.entries.length, 1);
    assert.deepEqual(ready.messages, []);
    assert.deepEqual(
      ready.persistedMessages.map((m) => m.type),
      ['appendResponse'],
    );
    persist(node, ready);
    node.raw.advance(ready);
  });

  it('a vote is sent only after it is durable, and so are a candidate’s requests for its new term', () => {
    const voter = makeNode('2', { options: { preVote: false, checkQuorum: false } });
    voter.raw.step({ type: 'vote', from: '1', to: '2', term: 1, lastIndex: 0, lastTerm: 0, transfer: false });
    const ready = voter.raw.ready();
    assert.deepEqual(ready.hardState, { term: 1, vote: '1', commit: 0 });
    assert.deepEqual(ready.messages, []);
    assert.deepEqual(
      ready.persistedMessages.map((m) => m.type),
      ['voteResponse'],
    );
    persist(voter, ready);
    voter.raw.advance(ready);

    const candidate = makeNode('1', { options: { preVote: false } });
    candidate.raw.campaign();
    const campaign = candidate.raw.ready();
    assert.deepEqual(campaign.hardState, { term: 1, vote: '1', commit: 0 });
    assert.deepEqual(campaign.messages, []);
    assert.equal(ofType(campaign.persistedMessages, 'vote').length, 2);
    persist(candidate, campaign);
    candidate.raw.advance(campaign);
  });

  it('pre-vote requests change nothing and leave at once', () => {
    const node = makeNode('1');
    node.raw.campaign();
    const ready = node.raw.ready();
    assert.equal(ready.hardState, undefined);
    assert.equal(ofType(ready.messages, 'preVote').length, 2);
    assert.equal(readyNeedsPersistence(ready), false);
    node.raw.advance(ready);
  });

  it('a single node that elects itself sends nothing to learners before its new term is durable', () => {
    const node = makeNode('1', { voters: ['1'], learners: ['2'] });
    node.raw.campaign();
    const ready = node.raw.ready();
    assert.equal(node.raw.status().role, 'leader');
    assert.deepEqual(ready.messages, [], 'its term is not yet durable');
    assert.equal(ofType(ready.persistedMessages, 'append').length, 1);
    persist(node, ready);
    node.raw.advance(ready);
  });

  it('ready() twice without advance() is a usage error, and so is advancing another Ready', () => {
    const node = makeNode('1', { voters: ['1'] });
    node.raw.campaign();
    const first = node.raw.ready();
    assert.equal(node.raw.hasReady(), false, 'nothing new is handed out before advance');
    assert.throws(() => node.raw.ready(), RaftUsageError);
    assert.throws(() => node.raw.advance({ ...first }), RaftUsageError);
    persist(node, first);
    node.raw.advance(first);
    assert.ok(node.raw.hasReady());
  });

  it('a message for another node is a usage error', () => {
    const node = makeNode('1');
    assert.throws(
      () => node.raw.step({ type: 'heartbeat', from: '2', to: '3', term: 1, commit: 0, round: 1 }),
      RaftUsageError,
    );
  });

  it('committed entries are handed out at most applyBytesMax at a time, and at least one', () => {
    const node = makeNode('1', { voters: ['1'], options: { applyBytesMax: 5 } });
    node.raw.campaign();
    drain(node);
    for (const value of ['aaa', 'bbb', 'ccc', 'dddddddddd']) node.raw.propose(text(value));
    const batches: number[][] = [];
    for (let round = 0; node.raw.hasReady() && round < 20; round++) {
      const ready = node.raw.ready();
      persist(node, ready);
      if (ready.committedEntries.length > 0) batches.push(ready.committedEntries.map((e) => e.index));
      node.raw.advance(ready);
    }
    assert.deepEqual(batches, [[2], [3], [4], [5]]);
  });

  it('restart recovers term, vote and commit, and applies nothing twice', () => {
    const cluster = new TestCluster({ voters: ['1'] });
    cluster.elect('1');
    cluster.propose('1', 'a');
    cluster.stabilize();
    const before = cluster.raw('1').status();
    const storage = cluster.node('1').storage;
    const restarted = new RawNode(
      { id: '1', random: new SeededRandom(3), appliedIndex: before.applied },
      storage,
    );
    const status = restarted.status();
    assert.deepEqual([status.term, status.vote, status.commit, status.applied], [before.term, '1', 2, 2]);
    assert.equal(restarted.hasReady(), false);
  });

  it('a log whose last term is newer than the persisted term raises the term, with no vote', () => {
    // A crash kept the entries of a Ready but not the hard state written after them.
    const storage = new MemoryStorage({ voters: ['1', '2', '3'], learners: [] });
    storage.append([{ index: 1, term: 5, type: 'noop', data: new Uint8Array(0) }]);
    storage.setHardState({ term: 4, vote: '2', commit: 0 });
    const node = new RawNode({ id: '1', random: new SeededRandom(1) }, storage);
    assert.deepEqual([node.status().term, node.status().vote], [5, '']);
    const ready = node.ready();
    assert.deepEqual(ready.hardState, { term: 5, vote: '', commit: 0 }, 'persisted at the next Ready');
    storage.setHardState({ term: 5, vote: '', commit: 0 });
    node.advance(ready);
  });

  it('a commit index written lazily is made up at start from the applied index', () => {
    const storage = new MemoryStorage({ voters: ['1', '2', '3'], learners: [] });
    storage.append([
      { index: 1, term: 1, type: 'noop', data: new Uint8Array(0) },
      { index: 2, term: 1, type: 'normal', data: text('x') },
    ]);
    storage.setHardState({ term: 1, vote: '1', commit: 0 });
    const node = new RawNode({ id: '1', random: new SeededRandom(1), appliedIndex: 2 }, storage);
    assert.deepEqual([node.status().commit, node.status().applied], [2, 2]);
    assert.throws(
      () => new RawNode({ id: '1', random: new SeededRandom(1), appliedIndex: 3 }, storage),
      RaftInvariantError,
      'but never beyond the log',
    );
  });

  it('a persisted commit index beyond the persisted log is refused at start', () => {
    const storage = new MemoryStorage({ voters: ['1'], learners: [] });
    storage.setHardState({ term: 1, vote: '1', commit: 3 });
    assert.throws(() => new RawNode({ id: '1', random: new SeededRandom(1) }, storage), RaftInvariantError);
  });

  it('invalid settings are refused with a message naming the setting', () => {
    const storage = new MemoryStorage({ voters: ['1'], learners: [] });
    const random = new SeededRandom(1);
    const cases: [object, RegExp][] = [
      [{ id: '' }, /id must be a non-empty string/],
      [{ id: '1', electionTimeoutTicks: 0 }, /electionTimeoutTicks must be a positive integer/],
      [
        { id: '1', heartbeatIntervalTicks: 10, electionTimeoutTicks: 10 },
        /heartbeatIntervalTicks \(10\) must be less than/,
      ],
      [{ id: '1', leaseMarginTicks: 10 }, /leaseMarginTicks \(10\) must be less than/],
      [{ id: '1', messageBytesMax: 1.5 }, /messageBytesMax must be a positive integer/],
      [{ id: '1', appliedIndex: -1 }, /appliedIndex must be a non-negative integer/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new RawNode({ random, ...options } as never, storage),
        (error: unknown) => error instanceof RaftConfigError && message.test(error.message),
        String(message),
      );
    }
  });
});

describe('advance() checks that the Ready was persisted', () => {
  it('refuses to advance a Ready whose entries, hard state or snapshot storage does not hold', () => {
    const node = makeNode('1', { voters: ['1'] });
    node.raw.campaign();
    const ready = node.raw.ready();
    assert.throws(() => node.raw.advance(ready), /entry 1\/1 of the Ready was persisted/);
    const again = makeNode('1', { voters: ['1'] });
    again.raw.campaign();
    const second = again.raw.ready();
    again.storage.append(second.entries);
    assert.throws(() => again.raw.advance(second), /hard state of the Ready was persisted/);
  });
});
