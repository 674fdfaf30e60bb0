// Raft paper §5.3 (log replication), §5.4.2 (committing entries from previous terms) and §5.5 (follower
// and candidate crashes), clause by clause.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AppendRequest, Entry, Message, RawNode } from '../../src/raft/index.js';
import { brokenVariants } from '../sim/broken-variants.js';
import { TestCluster } from './cluster.js';
import { drain, entriesWithTerms, makeNode, ofType, persist } from './single-node.js';

const decoder = new TextDecoder();
const noPreVote = { preVote: false, checkQuorum: false };

function append(
  to: string,
  term: number,
  prevIndex: number,
  prevTerm: number,
  entries: Entry[],
  commit = 0,
): AppendRequest {
  return { type: 'append', from: '2', to, term, prevIndex, prevTerm, entries, commit };
}

function logTerms(raw: RawNode): number[] {
  const status = raw.status();
  const terms: number[] = [];
  for (let index = status.firstIndex; index <= status.lastIndex; index++) terms.push(raw.termAt(index) ?? -1);
  return terms;
}

describe('§5.3 log replication', () => {
  it('§5.3 the leader appends a proposal to its log and sends it to every follower', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    const position = cluster.raw('1').propose(new TextEncoder().encode('x'));
    assert.deepEqual(position, { index: 2, term: 1 });
    const ready = cluster.raw('1').ready();
    assert.deepEqual(
      ready.entries.map((e) => `${e.index}/${e.term}`),
      ['2/1'],
    );
    const appends = ofType(ready.messages, 'append');
    assert.deepEqual(
      appends.map((m) => [m.to, m.prevIndex, m.prevTerm, m.entries.map((e) => e.index)]),
      [
        ['2', 1, 1, [2]],
        ['3', 1, 1, [2]],
      ],
    );
    persist(cluster.node('1'), ready);
    cluster.raw('1').advance(ready);
  });

  for (const [voters, acks, committed] of [
    [3, 0, false],
    [3, 1, true],
    [5, 1, false],
    [5, 2, true],
    [5, 4, true],
  ] as const) {
    it(`§5.3 with ${voters} voters an entry acknowledged by ${acks} followers is ${committed ? '' : 'not '}committed`, () => {
      const ids = Array.from({ length: voters }, (_, i) => String(i + 1));
      const cluster = new TestCluster({ voters: ids });
      cluster.elect('1');
      cluster.propose('1', 'x');
      const appends = cluster.queue.filter((m) => m.type === 'append');
      cluster.queue = [];
      for (const message of appends.slice(0, acks)) {
        cluster.raw(message.to).step(message);
        cluster.process(message.to);
      }
      // Deliver the acknowledgements only.
      const answers = cluster.queue.filter((m) => m.type === 'appendResponse');
      cluster.queue = [];
      for (const answer of answers) cluster.raw('1').step(answer);
      cluster.process('1');
      assert.equal(cluster.raw('1').status().commit, committed ? 2 : 1);
      assert.equal(cluster.node('1').state.includes('x'), committed, 'the leader applies what is committed');
    });
  }

  it('§5.3 followers learn the commit index from the leader and apply committed entries in order', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    for (const value of ['a', 'b', 'c']) cluster.propose('1', value);
    cluster.stabilize();
    for (const id of ['1', '2', '3']) assert.deepEqual(cluster.node(id).state, ['a', 'b', 'c']);
  });

  it('§5.3 committing an entry commits every entry before it', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.isolate('3');
    cluster.block('1', '2');
    cluster.propose('1', 'a');
    cluster.propose('1', 'b');
    cluster.stabilize();
    assert.equal(cluster.raw('1').status().commit, 1, 'nothing reached a majority');
    cluster.heal();
    cluster.propose('1', 'c');
    cluster.stabilize();
    assert.equal(cluster.raw('1').status().commit, 4);
    assert.deepEqual(cluster.node('1').state, ['a', 'b', 'c']);
  });

  it('§5.3 a follower refuses entries whose previous entry it does not hold (consistency check)', () => {
    const node = makeNode('1', {
      logTerms: [1, 1, 2],
      hardState: { term: 3, vote: '', commit: 0 },
      options: noPreVote,
    });
    node.raw.step(append('1', 3, 3, 3, entriesWithTerms([3], 4)));
    const answer = ofType(drain(node), 'appendResponse')[0];
    assert.equal(answer?.reject, true);
    assert.equal(answer?.index, 3);
    assert.deepEqual({ index: answer?.rejectHintIndex, term: answer?.rejectHintTerm }, { index: 3, term: 2 });
    assert.deepEqual(logTerms(node.raw), [1, 1, 2], 'nothing was appended');
    node.raw.step(append('1', 3, 5, 3, []));
    const beyond = ofType(drain(node), 'appendResponse')[0];
    assert.equal(beyond?.reject, true, 'an entry beyond the log does not match either');
  });

  it('§5.3 a follower deletes a conflicting entry and all that follow it, then appends the new ones', () => {
    const node = makeNode('1', {
      logTerms: [1, 1, 2, 2, 2],
      hardState: { term: 3, vote: '', commit: 0 },
      options: noPreVote,
    });
    node.raw.step(append('1', 3, 2, 1, entriesWithTerms([3, 3], 3), 2));
    const answer = ofType(drain(node), 'appendResponse')[0];
    assert.equal(answer?.reject, false);
    assert.equal(answer?.index, 4);
    assert.deepEqual(logTerms(node.raw), [1, 1, 3, 3]);
    assert.equal(node.storage.lastIndex(), 4, 'storage dropped the conflicting suffix');
  });

  it('§5.3 an append that carries entries the follower already has changes nothing (idempotent)', () => {
    const node = makeNode('1', {
      logTerms: [1, 1, 2, 2],
      hardState: { term: 2, vote: '', commit: 0 },
      options: noPreVote,
    });
    node.raw.step(append('1', 2, 1, 1, entriesWithTerms([1, 2], 2)));
    const answer = ofType(drain(node), 'appendResponse')[0];
    assert.equal(answer?.index, 3);
    assert.deepEqual(
      logTerms(node.raw),
      [1, 1, 2, 2],
      'entry 4 is kept: the append did not conflict with it',
    );
  });

  it('§5.3 a follower never commits past the last entry it shares with the leader', () => {
    const node = makeNode('1', {
      logTerms: [1, 1, 1, 1],
      hardState: { term: 2, vote: '', commit: 0 },
      options: noPreVote,
    });
    node.raw.step(append('1', 2, 2, 1, [], 4));
    drain(node);
    assert.equal(node.raw.status().commit, 2, 'entries 3 and 4 may differ from the leader’s');
  });

  it('§5.3 the leader forces followers’ logs to duplicate its own (the logs of Figure 7)', () => {
    // The paper's Figure 7: the log of the leader for term 8, and six possible follower logs (a) to (f).
    const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followerTerms: Record<string, number[]> = {
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const [name, terms] of Object.entries(followerTerms)) {
      const voters = ['L', 'F', 'X'];
      const leader = makeNode('L', {
        voters,
        logTerms: leaderTerms,
        hardState: { term: 7, vote: '', commit: 0 },
        options: noPreVote,
      });
      const follower = makeNode('F', {
        voters,
        logTerms: terms,
        hardState: { term: 7, vote: '', commit: 0 },
        options: noPreVote,
      });
      const nodes = new Map([
        ['L', leader],
        ['F', follower],
      ]);
      // L campaigns for term 8 and wins with X's vote (X then stays silent); F may refuse its vote.
      leader.raw.campaign();
      let queue = drain(leader);
      leader.raw.step({ type: 'voteResponse', from: 'X', to: 'L', term: 8, reject: false });
      queue.push(...drain(leader));
      for (let round = 0; round < 100 && queue.length > 0; round++) {
        const next: typeof queue = [];
        for (const message of queue) {
          const target = nodes.get(message.to);
          if (target === undefined) continue;
          target.raw.step(message);
          next.push(...drain(target));
        }
        queue = next;
      }
      assert.equal(leader.raw.status().role, 'leader', `follower (${name})`);
      assert.deepEqual(
        logTerms(follower.raw),
        [...leaderTerms, 8],
        `follower (${name}) now holds the leader's log`,
      );
    }
  });

  it('§5.3 backtracking skips a divergent tail one term at a time, not one entry at a time', () => {
    // The follower's last 20 entries (terms 2 and 3) are wrong; the leader's log has only terms 1 and 4.
    const leaderTerms = [1, ...Array<number>(24).fill(4)];
    const followerTerms = [1, ...Array<number>(10).fill(2), ...Array<number>(10).fill(3)];
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: noPreVote });
    cluster.node('1').storage.append(entriesWithTerms(leaderTerms));
    cluster.node('1').storage.setHardState({ term: 4, vote: '', commit: 1 });
    cluster.node('2').storage.append(entriesWithTerms(followerTerms));
    cluster.node('2').storage.setHardState({ term: 3, vote: '', commit: 1 });
    cluster.restart('1');
    cluster.restart('2');
    cluster.isolate('3');
    cluster.recordTranscript = true;
    cluster.elect('1');
    const rejections = cluster.transcript.filter((line) =>
      /^2->1 appendResponse .* reject/.test(line),
    ).length;
    assert.deepEqual(logTerms(cluster.raw('2')), [...leaderTerms, 5]);
    assert.equal(rejections, 1, 'one rejection reveals where the logs agree');
  });
});

describe('§5.4.2 committing entries from previous terms', () => {
  // Figure 8, step (c): S1 leads term 4. Index 2 (term 2) is on S1, S2 and S3, a majority; S5 holds a
  // term-3 entry there. Counting replicas must not commit index 2: S5 could still be elected by S2, S3 and
  // S4 (its last term, 3, beats theirs) and overwrite it, which is step (d).
  function figureEight(factory?: typeof brokenVariants.oldTermCommit): TestCluster {
    const ids = ['1', '2', '3', '4', '5'];
    const cluster = new TestCluster({
      voters: ids,
      raft: noPreVote,
      ...(factory === undefined ? {} : { factories: { '1': factory } }),
    });
    const logs: Record<string, number[]> = { '1': [1, 2], '2': [1, 2], '3': [1, 2], '4': [1], '5': [1, 3] };
    for (const id of ids) {
      const node = cluster.node(id);
      node.storage.append(entriesWithTerms(logs[id]!));
      node.storage.setHardState({ term: 3, vote: '', commit: 1 });
      cluster.restart(id);
    }
    // S1 is elected for term 4 by S2, S3 and S4 while S5 is down; only votes are delivered.
    cluster.crash('5');
    cluster.campaign('1');
    for (let round = 0; round < 20; round++) {
      const isVote = (m: Message): boolean => m.type === 'vote' || m.type === 'voteResponse';
      const votes = cluster.queue.filter(isVote);
      cluster.queue = cluster.queue.filter((m) => !isVote(m));
      for (const message of votes) {
        if (!cluster.node(message.to).running) continue;
        cluster.raw(message.to).step(message);
        cluster.process(message.to);
      }
    }
    assert.equal(cluster.raw('1').status().role, 'leader');
    // S1's first appends, which carry its term-4 no-op, are lost. S2 and S3 report holding index 2.
    cluster.dropQueued();
    for (const from of ['2', '3']) {
      cluster.raw('1').step({
        type: 'appendResponse',
        from,
        to: '1',
        term: 4,
        reject: false,
        index: 2,
        rejectHintIndex: 0,
        rejectHintTerm: 0,
      });
    }
    cluster.process('1');
    cluster.dropQueued();
    return cluster;
  }

  it('§5.4.2 a leader does not commit an entry of an earlier term by counting replicas (Figure 8)', () => {
    const cluster = figureEight();
    assert.equal(
      cluster.raw('1').status().commit,
      1,
      'index 2 (term 2) is on a majority but stays uncommitted',
    );
    // Once an entry of the leader's term reaches a majority, everything before it commits with it.
    cluster.run(3);
    assert.equal(cluster.raw('1').status().commit, 3);
    assert.deepEqual(cluster.node('1').state, ['1@1', '2@2']);
  });

  it('§5.4.2 without that rule, the entry of Figure 8 is committed, applied, then overwritten', () => {
    const cluster = figureEight(brokenVariants.oldTermCommit);
    assert.equal(cluster.raw('1').status().commit, 2, 'the broken leader committed index 2 of term 2');
    assert.deepEqual(cluster.node('1').state, ['1@1', '2@2'], 'and applied it');
    // Step (d): S1 crashes; S5 is elected by S2, S3 and S4 and replaces index 2 with its own entry.
    cluster.crash('1');
    cluster.restart('5');
    for (let attempt = 0; attempt < 3 && cluster.raw('5').status().role !== 'leader'; attempt++) {
      cluster.campaign('5');
      cluster.stabilize();
    }
    assert.equal(cluster.raw('5').status().role, 'leader');
    cluster.stabilize();
    assert.equal(cluster.raw('2').termAt(2), 3, 'S2 now holds the term-3 entry at index 2');
    assert.deepEqual(
      cluster.node('5').state.slice(0, 2),
      ['1@1', '2@3'],
      'a different entry was applied at index 2',
    );
  });
});

describe('§5.5 follower and candidate crashes', () => {
  it('§5.5 a follower that crashes and restarts is brought up to date by the leader’s retries', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.crash('3');
    for (const value of ['a', 'b', 'c']) cluster.propose('1', value);
    cluster.stabilize();
    cluster.restart('3');
    cluster.run(3);
    assert.deepEqual(cluster.node('3').state, ['a', 'b', 'c']);
  });

  it('§5.5 duplicated and reordered appends leave the follower’s log unchanged', () => {
    const node = makeNode('1', { hardState: { term: 2, vote: '', commit: 0 }, options: noPreVote });
    const first = append('1', 2, 0, 0, entriesWithTerms([2, 2, 2]), 0);
    const second = append('1', 2, 0, 0, entriesWithTerms([2]), 2);
    node.raw.step(first);
    node.raw.step(second);
    node.raw.step(first);
    drain(node);
    assert.deepEqual(logTerms(node.raw), [2, 2, 2], 'the late, shorter append did not truncate the log');
    assert.equal(node.raw.status().commit, 1);
    assert.deepEqual(
      node.applied.map((e) => decoder.decode(e.data)),
      ['1@2'],
    );
  });
});
