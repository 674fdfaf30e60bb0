// Dissertation §6.4: linearizable reads through ReadIndex, and lease reads (§6.4.1) with CheckQuorum.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  NotLeaderError,
  ProposalDroppedError,
  requiredLeaseMarginTicks,
  RaftConfigError,
  type Message,
} from '../../src/raft/index.js';
import { TestCluster, text } from './cluster.js';
import { drain, makeNode, ofType, persist } from './single-node.js';

const decoder = new TextDecoder();

function contexts(cluster: TestCluster, id: string): string[] {
  return cluster
    .node(id)
    .readStates.map((state) => `${decoder.decode(state.context)}@${state.index}/${state.confirmedBy}`);
}

/** Takes the queued messages of one type out of the queue. */
function takeQueued<T extends Message['type']>(
  cluster: TestCluster,
  type: T,
): Extract<Message, { type: T }>[] {
  const taken = cluster.queue.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  cluster.queue = cluster.queue.filter((m) => m.type !== type);
  return taken;
}

function deliver(cluster: TestCluster, messages: readonly Message[]): void {
  for (const message of messages) {
    cluster.raw(message.to).step(message);
    cluster.process(message.to);
  }
}

describe('dissertation §6.4: ReadIndex', () => {
  it('§6.4 only the leader serves ReadIndex requests', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    assert.throws(
      () => cluster.raw('2').readIndex(text('r')),
      (e: unknown) => e instanceof NotLeaderError && e.leaderId === '1',
    );
  });

  it('§6.4 a new leader answers no read before it has committed an entry of its term', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.campaign('1');
    for (let round = 0; round < 10; round++) {
      deliver(cluster, takeQueued(cluster, 'preVote'));
      deliver(cluster, takeQueued(cluster, 'preVoteResponse'));
      deliver(cluster, takeQueued(cluster, 'vote'));
      deliver(cluster, takeQueued(cluster, 'voteResponse'));
    }
    assert.equal(cluster.raw('1').status().role, 'leader');
    assert.equal(cluster.raw('1').status().commit, 0);
    cluster.raw('1').readIndex(text('early'));
    cluster.process('1');
    assert.deepEqual(takeQueued(cluster, 'heartbeat'), [], 'no confirmation round yet');
    assert.deepEqual(contexts(cluster, '1'), []);
    cluster.stabilize();
    assert.deepEqual(contexts(cluster, '1'), ['early@1/quorum'], 'answered at the index of the no-op');
  });

  it('§6.4 a read is confirmed once a quorum acknowledges a heartbeat round sent after it', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3', '4', '5'] });
    cluster.elect('1');
    cluster.raw('1').readIndex(text('r'));
    cluster.process('1');
    const heartbeats = takeQueued(cluster, 'heartbeat');
    assert.equal(heartbeats.length, 4, 'the read starts a round at once');
    deliver(cluster, heartbeats);
    const answers = takeQueued(cluster, 'heartbeatResponse');
    deliver(cluster, answers.slice(0, 1));
    assert.deepEqual(contexts(cluster, '1'), [], 'two of five is not a quorum');
    deliver(cluster, answers.slice(1, 2));
    assert.deepEqual(contexts(cluster, '1'), ['r@1/quorum'], 'three of five is');
  });

  it('§6.4 acknowledgements of a round sent before the read do not confirm it', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.tick('1');
    const earlyRound = takeQueued(cluster, 'heartbeat');
    assert.equal(earlyRound.length, 2);
    cluster.raw('1').readIndex(text('r'));
    cluster.process('1');
    const laterRound = takeQueued(cluster, 'heartbeat');
    deliver(cluster, earlyRound);
    deliver(cluster, takeQueued(cluster, 'heartbeatResponse'));
    assert.deepEqual(
      contexts(cluster, '1'),
      [],
      'the earlier round proves nothing about the time of the read',
    );
    deliver(cluster, laterRound.slice(0, 1));
    deliver(cluster, takeQueued(cluster, 'heartbeatResponse'));
    assert.deepEqual(contexts(cluster, '1'), ['r@1/quorum']);
  });

  it('§6.4 the read index is the commit index when the read arrived, not a later one', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.raw('1').readIndex(text('r'));
    cluster.process('1');
    const round = takeQueued(cluster, 'heartbeat');
    cluster.propose('1', 'later');
    cluster.stabilize();
    assert.equal(cluster.raw('1').status().commit, 2);
    deliver(cluster, round);
    cluster.stabilize();
    assert.deepEqual(contexts(cluster, '1'), ['r@1/quorum']);
  });

  it('§6.4 a leader cut off from a quorum never confirms a read, and drops it when it steps down', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.isolate('1');
    cluster.raw('1').readIndex(text('r'));
    cluster.process('1');
    cluster.run(25);
    assert.deepEqual(contexts(cluster, '1'), []);
    assert.equal(cluster.raw('1').status().role, 'follower', 'CheckQuorum made it step down');
    cluster.heal();
    cluster.run(30);
    assert.deepEqual(contexts(cluster, '1'), [], 'the read is gone with the leadership');
  });

  it('§6.4 a single voter answers reads without any round trip', () => {
    const node = makeNode('1', { voters: ['1'] });
    node.raw.campaign();
    drain(node);
    node.raw.readIndex(text('solo'));
    const ready = node.raw.ready();
    assert.deepEqual(
      ready.readStates.map((s) => [decoder.decode(s.context), s.index]),
      [['solo', 1]],
    );
    persist(node, ready);
    node.raw.advance(ready);
  });

  it('§6.4 reads beyond the pending limit are refused', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { pendingReadsMax: 2 } });
    cluster.elect('1');
    cluster.isolate('1');
    cluster.raw('1').readIndex(text('a'));
    cluster.raw('1').readIndex(text('b'));
    assert.throws(() => cluster.raw('1').readIndex(text('c')), ProposalDroppedError);
  });
});

describe('dissertation §6.4.1: lease reads', () => {
  /** Elects node 1 and lets heartbeats flow, so that a round is acknowledged. */
  function leasedCluster(options: { checkQuorum?: boolean } = {}): TestCluster {
    const cluster = new TestCluster({
      voters: ['1', '2', '3'],
      raft: { electionTimeoutTicks: 10, leaseMarginTicks: 2, ...options },
    });
    cluster.elect('1');
    cluster.run(2);
    return cluster;
  }

  it('§6.4.1 while the lease holds, a lease read is answered at once, without a heartbeat round', () => {
    const cluster = leasedCluster();
    assert.ok(cluster.raw('1').leaseValid());
    cluster.raw('1').readIndex(text('fast'), 'lease');
    cluster.process('1');
    assert.deepEqual(contexts(cluster, '1'), ['fast@1/lease']);
    assert.deepEqual(takeQueued(cluster, 'heartbeat'), []);
  });

  it('§6.4.1 the lease ends electionTimeout − margin ticks after the last acknowledged round was sent', () => {
    const cluster = leasedCluster();
    // The last round acknowledged was sent during the last tick of run(); cut the leader off now.
    cluster.isolate('1');
    let validTicks = 0;
    while (cluster.raw('1').leaseValid() && validTicks < 100) {
      cluster.tick('1');
      cluster.stabilize();
      validTicks++;
    }
    assert.equal(validTicks, 10 - 2, 'valid for 8 more ticks of the leader’s clock');
    cluster.raw('1').readIndex(text('slow'), 'lease');
    cluster.process('1');
    assert.deepEqual(contexts(cluster, '1'), [], 'an expired lease falls back to a quorum round');
    assert.equal(
      takeQueued(cluster, 'heartbeat').length,
      2,
      'a round is started (the partition will drop it)',
    );
  });

  it('§6.4.1 without CheckQuorum there is no lease: lease reads take a quorum round', () => {
    const cluster = leasedCluster({ checkQuorum: false });
    assert.equal(cluster.raw('1').leaseValid(), false);
    cluster.raw('1').readIndex(text('r'), 'lease');
    cluster.process('1');
    assert.equal(takeQueued(cluster, 'heartbeat').length, 2);
  });

  it('§6.4.1 once a TimeoutNow has been sent, the leader holds no lease for the rest of its term', () => {
    const cluster = leasedCluster();
    cluster.raw('1').transferLeadership('2');
    cluster.process('1');
    const timeoutNow = takeQueued(cluster, 'timeoutNow');
    assert.equal(timeoutNow.length, 1);
    assert.equal(cluster.raw('1').leaseValid(), false);
    // The transfer is abandoned (the TimeoutNow is still in flight somewhere), yet the lease stays off.
    cluster.run(12);
    assert.equal(cluster.raw('1').status().role, 'leader');
    assert.equal(cluster.raw('1').status().leadTransferee, '');
    assert.equal(cluster.raw('1').leaseValid(), false);
  });

  it('§6.4.1 a follower that heard from the leader ignores vote requests for an election timeout', () => {
    const node = makeNode('2', { hardState: { term: 3, vote: '', commit: 0 } });
    node.raw.step({ type: 'heartbeat', from: '1', to: '2', term: 3, commit: 0, round: 1 });
    drain(node);
    const request = {
      type: 'vote',
      from: '3',
      to: '2',
      term: 4,
      lastIndex: 9,
      lastTerm: 3,
      transfer: false,
    } as const;
    for (let tick = 0; tick < 9; tick++) {
      node.raw.tick();
      node.raw.step(request);
      assert.deepEqual(
        drain(node).filter((m) => m.type !== 'preVote'),
        [],
        `ignored at tick ${tick + 1}`,
      );
      assert.equal(node.raw.status().term, 3);
    }
    node.raw.tick();
    node.raw.step(request);
    assert.equal(
      ofType(drain(node), 'voteResponse')[0]?.reject,
      false,
      'granted once the timeout has passed',
    );
  });

  it('§6.4.1 a restarted node also ignores vote requests for an election timeout', () => {
    const node = makeNode('2', { hardState: { term: 3, vote: '', commit: 0 } });
    const request = {
      type: 'vote',
      from: '3',
      to: '2',
      term: 4,
      lastIndex: 9,
      lastTerm: 3,
      transfer: false,
    } as const;
    node.raw.step(request);
    assert.deepEqual(drain(node), [], 'it may have acknowledged the leader just before it crashed');
    for (let tick = 0; tick < 10; tick++) node.raw.tick();
    drain(node);
    node.raw.step(request);
    assert.equal(ofType(drain(node), 'voteResponse')[0]?.reject, false);
  });

  it('§6.4.1 a vote request marked as a transfer overrides the lease', () => {
    const node = makeNode('2', { hardState: { term: 3, vote: '', commit: 0 } });
    node.raw.step({ type: 'heartbeat', from: '1', to: '2', term: 3, commit: 0, round: 1 });
    drain(node);
    node.raw.step({ type: 'vote', from: '3', to: '2', term: 4, lastIndex: 9, lastTerm: 3, transfer: true });
    assert.equal(ofType(drain(node), 'voteResponse')[0]?.reject, false);
  });

  it('§6.4.1 acknowledgements from learners do not extend the lease', () => {
    const cluster = new TestCluster({
      voters: ['1', '2', '3'],
      learners: ['4'],
      raft: { electionTimeoutTicks: 10 },
    });
    cluster.elect('1');
    cluster.run(2);
    cluster.block('1', '2');
    cluster.block('1', '3');
    let validTicks = 0;
    while (cluster.raw('1').leaseValid() && validTicks < 100) {
      cluster.tick('1');
      cluster.stabilize();
      validTicks++;
    }
    assert.equal(validTicks, 8, 'the learner keeps answering, but does not extend the lease');
  });

  // (election timeout, fastest rate / slowest rate) → margin.
  const margins: [number, number, number][] = [
    [10, 1, 1],
    [10, 21 / 19, 2],
    [14, 21 / 19, 3],
    [10, 1.5, 4],
  ];
  for (const [timeout, ratio, margin] of margins) {
    it(`§6.4.1 with an election timeout of ${timeout} and clock rates within ${ratio.toFixed(3)} the lease margin is ${margin}`, () => {
      assert.equal(requiredLeaseMarginTicks(timeout, ratio), margin);
      // The bound of DESIGN.md: (E - margin) × slowest period <= (E - 1) × fastest period.
      assert.ok((timeout - margin) * ratio <= timeout - 1 + 1e-9);
      assert.ok((timeout - (margin - 1)) * ratio > timeout - 1, 'and no smaller margin would do');
    });
  }

  /**
   * Leader 1's clock runs at half the speed of its followers'. It is cut off; the followers elect a new
   * leader and commit a write. Then a lease read arrives at node 1. Returns the read's index (undefined if
   * the read was not answered) and the index of the new write.
   */
  function leaseReadAfterDeposition(leaseMarginTicks: number): {
    readIndex: number | undefined;
    write: number;
  } {
    const cluster = new TestCluster({
      voters: ['1', '2', '3'],
      seed: 3,
      raft: { electionTimeoutTicks: 10, leaseMarginTicks },
    });
    cluster.elect('1');
    cluster.run(2);
    cluster.isolate('1');
    let write = 0;
    for (let step = 1; step <= 80 && write === 0; step++) {
      cluster.tick('2');
      cluster.tick('3');
      if (step % 2 === 0) cluster.tick('1');
      cluster.stabilize();
      const leader = ['2', '3'].find((id) => cluster.raw(id).status().role === 'leader');
      if (leader === undefined) continue;
      write = cluster.propose(leader, 'new').index;
      cluster.stabilize();
    }
    assert.ok(write > 0, 'the followers elected a leader and committed a write');
    assert.equal(cluster.raw('1').status().role, 'leader', 'node 1 has not noticed yet');
    cluster.raw('1').readIndex(text('stale?'), 'lease');
    cluster.process('1');
    return { readIndex: cluster.node('1').readStates[0]?.index, write };
  }

  it('§6.4.1 below the drift bound a deposed leader serves a stale lease read; the required margin prevents it', () => {
    const unsafe = leaseReadAfterDeposition(1);
    assert.ok(unsafe.readIndex !== undefined && unsafe.readIndex < unsafe.write, 'a stale read was served');
    const margin = requiredLeaseMarginTicks(10, 2);
    assert.equal(margin, 6);
    const safe = leaseReadAfterDeposition(margin);
    assert.equal(
      safe.readIndex,
      undefined,
      'the lease had expired: the read waits for a quorum it cannot get',
    );
  });

  it('§6.4.1 a clock rate ratio below 1 is refused', () => {
    assert.throws(() => requiredLeaseMarginTicks(10, 0.9), RaftConfigError);
  });
});
