// Dissertation §3.10: leadership transfer through TimeoutNow.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NotLeaderError, ProposalDroppedError, TransferRejectedError } from '../../src/raft/index.js';
import { TestCluster, text } from './cluster.js';

describe('dissertation §3.10: leadership transfer', () => {
  it('§3.10 to an up-to-date voter: the leader sends TimeoutNow and the target wins at once', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.propose('1', 'a');
    cluster.stabilize();
    cluster.recordTranscript = true;
    cluster.raw('1').transferLeadership('2');
    cluster.stabilize();
    assert.ok(cluster.transcript.includes('1->2 timeoutNow term=1'));
    assert.ok(
      cluster.transcript.some((line) => line.startsWith('2->1 vote term=2') && line.endsWith('transfer')),
    );
    assert.equal(cluster.leader(), '2');
    assert.equal(cluster.raw('2').status().term, 2, 'one election, no pre-vote, no waiting for a timeout');
  });

  it('§3.10 to a lagging voter: the leader first brings its log up to date', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.isolate('3');
    for (const value of ['a', 'b', 'c']) cluster.propose('1', value);
    cluster.stabilize();
    cluster.heal();
    cluster.recordTranscript = true;
    cluster.raw('1').transferLeadership('3');
    cluster.process('1');
    cluster.stabilize();
    const appendIndex = cluster.transcript.findIndex((line) => line.startsWith('1->3 append'));
    const timeoutIndex = cluster.transcript.findIndex((line) => line.startsWith('1->3 timeoutNow'));
    assert.ok(appendIndex >= 0 && timeoutIndex > appendIndex, 'appends first, TimeoutNow once caught up');
    assert.equal(cluster.leader(), '3');
    assert.deepEqual(cluster.node('3').state, ['a', 'b', 'c']);
  });

  it('§3.10 the leader refuses proposals while a transfer is under way', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    cluster.elect('1');
    cluster.isolate('2');
    cluster.raw('1').transferLeadership('2');
    assert.throws(
      () => cluster.raw('1').propose(text('x')),
      (e: unknown) => e instanceof ProposalDroppedError && e.reason === 'leadershipTransfer',
    );
  });

  it('§3.10 a transfer that does not finish within an election timeout is abandoned', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { electionTimeoutTicks: 10 } });
    cluster.elect('1');
    cluster.isolate('2');
    cluster.raw('1').transferLeadership('2');
    for (let tick = 0; tick < 10; tick++) cluster.tick('1');
    cluster.stabilize();
    assert.equal(cluster.raw('1').status().leadTransferee, '');
    assert.equal(cluster.leader(), '1');
    cluster.propose('1', 'after');
  });

  it('§3.10 only a voter other than the leader can receive leadership', () => {
    const cluster = new TestCluster({ voters: ['1', '2'], learners: ['3'] });
    cluster.elect('1');
    assert.throws(() => cluster.raw('1').transferLeadership('3'), TransferRejectedError);
    assert.throws(() => cluster.raw('1').transferLeadership('9'), TransferRejectedError);
    assert.throws(() => cluster.raw('1').transferLeadership('1'), TransferRejectedError);
    assert.throws(() => cluster.raw('2').transferLeadership('1'), NotLeaderError);
  });

  it('§3.10 the transfer campaign overrides the followers’ leases', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], raft: { checkQuorum: true } });
    cluster.elect('1');
    cluster.run(3);
    cluster.raw('1').transferLeadership('3');
    cluster.stabilize();
    assert.equal(cluster.leader(), '3', 'node 2 voted although it had just heard from the leader');
  });
});
