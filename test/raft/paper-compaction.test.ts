// Raft paper §7 (log compaction and InstallSnapshot), with the snapshot's data streamed by the
// application rather than carried in the message.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { InstallSnapshotRequest } from '../../src/raft/index.js';
import { TestCluster } from './cluster.js';
import { drain, makeNode, ofType, persist } from './single-node.js';

/** Runs the cluster until the leader offers a snapshot, and takes that message out of the queue. */
function takeSnapshotOffer(cluster: TestCluster): InstallSnapshotRequest {
  for (let tick = 0; tick < 20; tick++) {
    cluster.tickAll();
    for (let step = 0; step < 1000; step++) {
      const offer = cluster.queue.find((m): m is InstallSnapshotRequest => m.type === 'installSnapshot');
      if (offer !== undefined) {
        cluster.queue = cluster.queue.filter((m) => m !== offer);
        return offer;
      }
      if (!cluster.deliverOne()) break;
    }
  }
  throw new Error('the leader never offered a snapshot');
}

function clusterWithCompactedLeader(): TestCluster {
  const cluster = new TestCluster({ voters: ['1', '2', '3'] });
  cluster.elect('1');
  cluster.crash('3');
  for (const value of ['a', 'b', 'c', 'd']) cluster.propose('1', value);
  cluster.stabilize();
  cluster.snapshotAndCompact('1');
  return cluster;
}

describe('§7 log compaction', () => {
  it('§7 a follower whose missing entries were compacted gets a snapshot, then the rest of the log', () => {
    const cluster = clusterWithCompactedLeader();
    cluster.propose('1', 'e');
    cluster.stabilize();
    cluster.restart('3');
    cluster.recordTranscript = true;
    cluster.run(3);
    assert.ok(
      cluster.transcript.some((line) => line.startsWith('1->3 installSnapshot')),
      'a snapshot was sent',
    );
    assert.ok(cluster.transcript.includes('3 installed snapshot 5/1'));
    assert.deepEqual(cluster.node('3').state, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(cluster.raw('3').status().lastIndex, 6);
  });

  it('§7 the snapshot message carries metadata only: index, term and configuration', () => {
    const cluster = clusterWithCompactedLeader();
    cluster.restart('3');
    const offer = takeSnapshotOffer(cluster);
    assert.deepEqual(offer.snapshot, {
      index: 5,
      term: 1,
      confState: { voters: ['1', '2', '3'], learners: [] },
    });
    assert.deepEqual(Object.keys(offer).sort(), ['from', 'snapshot', 'term', 'to', 'type']);
  });

  it('§7 a follower installs a snapshot ahead of its log and discards the log', () => {
    const node = makeNode('1', {
      logTerms: [1, 1, 2],
      hardState: { term: 3, vote: '', commit: 1 },
      options: { preVote: false },
    });
    node.raw.step({
      type: 'installSnapshot',
      from: '2',
      to: '1',
      term: 3,
      snapshot: { index: 10, term: 3, confState: { voters: ['1', '2'], learners: ['3'] } },
    });
    const ready = node.raw.ready();
    assert.equal(ready.snapshot?.index, 10);
    assert.deepEqual(ready.committedEntries, [], 'nothing is applied before the snapshot is installed');
    assert.deepEqual(ready.messages, [], 'the acknowledgement waits for the snapshot to be durable');
    const ack = ofType(ready.persistedMessages, 'appendResponse')[0];
    assert.equal(ack?.index, 10);
    persist(node, ready);
    node.raw.advance(ready);
    const status = node.raw.status();
    assert.deepEqual([status.firstIndex, status.lastIndex, status.commit, status.applied], [11, 10, 10, 10]);
    assert.deepEqual(
      status.configuration,
      { voters: ['1', '2'], learners: ['3'] },
      'the snapshot brings its configuration',
    );
  });

  it('§7 a snapshot whose last entry the follower already holds only advances its commit index', () => {
    const node = makeNode('1', { logTerms: [1, 1, 2, 2, 2], hardState: { term: 2, vote: '', commit: 1 } });
    node.raw.step({
      type: 'installSnapshot',
      from: '2',
      to: '1',
      term: 2,
      snapshot: { index: 3, term: 2, confState: { voters: ['1', '2', '3'], learners: [] } },
    });
    const sent = drain(node);
    assert.equal(ofType(sent, 'appendResponse')[0]?.index, 3);
    const status = node.raw.status();
    assert.deepEqual(
      [status.firstIndex, status.lastIndex, status.commit],
      [1, 5, 3],
      'entries 4 and 5 are kept',
    );
    assert.equal(node.applied.length, 3, 'entries up to 3 are applied from the log');
  });

  it('§7 a snapshot older than the commit index is ignored and answered with the commit index', () => {
    const node = makeNode('1', { logTerms: [1, 1, 1], hardState: { term: 1, vote: '', commit: 3 } });
    node.raw.step({
      type: 'installSnapshot',
      from: '2',
      to: '1',
      term: 1,
      snapshot: { index: 2, term: 1, confState: { voters: ['1', '2', '3'], learners: [] } },
    });
    const sent = drain(node);
    assert.equal(ofType(sent, 'appendResponse')[0]?.index, 3);
    assert.equal(node.raw.status().firstIndex, 1);
  });

  it('§7 after a failed transfer the leader probes again and offers the snapshot anew', () => {
    const cluster = clusterWithCompactedLeader();
    cluster.restart('3');
    // The transfer fails: the message never arrives and the failure is reported.
    takeSnapshotOffer(cluster);
    assert.equal(cluster.raw('1').status().progress.get('3')?.state, 'snapshot');
    cluster.raw('1').reportSnapshot('3', 'failed');
    const progress = cluster.raw('1').status().progress.get('3');
    assert.equal(progress?.state, 'probe');
    cluster.run(4);
    assert.deepEqual(cluster.node('3').state, ['a', 'b', 'c', 'd']);
  });

  it('§7 the leader sends no snapshot to a follower it has not heard from lately', () => {
    const cluster = clusterWithCompactedLeader();
    // Node 3 is down: the leader's probes go unanswered and it never starts a snapshot transfer.
    cluster.recordTranscript = true;
    cluster.run(30);
    assert.ok(!cluster.transcript.some((line) => line.includes('installSnapshot')));
  });
});
