// Raft paper §6 and dissertation §4: cluster membership changes. The paper's §6 presents joint consensus and
// the three problems any scheme must solve (new servers with empty logs, a leader outside the new
// configuration, disruptive removed servers); we change one server at a time as in dissertation §4, with
// learners for catching up. Tests name the dissertation's sections.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  applyConfChange,
  ConfChangeRejectedError,
  Configuration,
  decodeConfChangeEntry,
  encodeConfChangeEntry,
  ProposalDroppedError,
  type ConfChange,
  type ConfState,
} from '../../src/raft/index.js';
import { TestCluster } from './cluster.js';
import { drain, makeNode } from './single-node.js';

function conf(voters: string[], learners: string[] = []): Configuration {
  return new Configuration({ voters, learners });
}

function commitNoop(cluster: TestCluster, leader: string): void {
  cluster.elect(leader);
  cluster.stabilize();
}

describe('paper §6, dissertation §4: configuration changes', () => {
  const rules: [ConfState, ConfChange, ConfState | string][] = [
    [
      { voters: ['1'], learners: [] },
      { kind: 'addVoter', node: '2' },
      { voters: ['1', '2'], learners: [] },
    ],
    [
      { voters: ['1'], learners: ['2'] },
      { kind: 'addVoter', node: '2' },
      { voters: ['1', '2'], learners: [] },
    ],
    [
      { voters: ['1', '2'], learners: [] },
      { kind: 'addLearner', node: '2' },
      { voters: ['1'], learners: ['2'] },
    ],
    [
      { voters: ['1', '2'], learners: [] },
      { kind: 'removeNode', node: '2' },
      { voters: ['1'], learners: [] },
    ],
    [
      { voters: ['1'], learners: ['2'] },
      { kind: 'removeNode', node: '2' },
      { voters: ['1'], learners: [] },
    ],
    [{ voters: ['1'], learners: [] }, { kind: 'addVoter', node: '1' }, 'already a voter'],
    [{ voters: ['1'], learners: ['2'] }, { kind: 'addLearner', node: '2' }, 'already a learner'],
    [{ voters: ['1'], learners: [] }, { kind: 'removeNode', node: '1' }, 'last voter'],
    [{ voters: ['1'], learners: [] }, { kind: 'addLearner', node: '1' }, 'last voter'],
    [{ voters: ['1'], learners: [] }, { kind: 'removeNode', node: '9' }, 'not a member'],
    [{ voters: ['1'], learners: [] }, { kind: 'addVoter', node: '' }, 'empty'],
  ];
  for (const [before, change, after] of rules) {
    it(`§4.1 ${change.kind} ${change.node || '(empty)'} on voters=[${before.voters.join(',')}] learners=[${before.learners.join(',')}]`, () => {
      if (typeof after === 'string') {
        assert.throws(
          () => applyConfChange(new Configuration(before), change),
          (error: unknown) => {
            return error instanceof ConfChangeRejectedError && error.message.includes(after);
          },
        );
      } else {
        assert.deepEqual(applyConfChange(new Configuration(before), change), after);
      }
    });
  }

  it('§4.1 every valid change adds or removes at most one voter', () => {
    const id = fc.constantFrom('1', '2', '3', '4', '5');
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 5 }),
        fc.uniqueArray(id, { maxLength: 5 }),
        fc.constantFrom('addVoter', 'addLearner', 'removeNode'),
        id,
        (voterIds, maybeLearners, kind, node) => {
          const voters: string[] = voterIds;
          const learners = maybeLearners.filter((l) => !voters.includes(l));
          let next: ConfState;
          try {
            next = applyConfChange(conf(voters, learners), { kind, node });
          } catch (error) {
            assert.ok(error instanceof ConfChangeRejectedError);
            return;
          }
          const added = next.voters.filter((v) => !voters.includes(v)).length;
          const removed = voters.filter((v) => !next.voters.includes(v)).length;
          assert.ok(added + removed <= 1);
          assert.ok(next.voters.length >= 1, 'a configuration keeps at least one voter');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('§4.1 a configuration entry round-trips through its encoding, context included', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom('addVoter', 'addLearner', 'removeNode'),
        (ids, context, kind) => {
          const [node, ...rest] = ids as [string, ...string[]];
          const entry = {
            change: context.length > 0 ? { kind, node, context } : { kind, node },
            confState: { voters: [node], learners: rest },
          } as const;
          assert.deepEqual(decodeConfChangeEntry(encodeConfChangeEntry(entry)), entry);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('§4.1 a node uses a new configuration as soon as the entry is in its log, before it commits', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], spare: ['4'] });
    commitNoop(cluster, '1');
    cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '4' });
    assert.deepEqual(cluster.raw('1').status().configuration, { voters: ['1', '2', '3'], learners: ['4'] });
    assert.equal(cluster.raw('1').status().commit, 1, 'not committed yet');
    cluster.stabilize();
    assert.deepEqual(cluster.raw('4').status().configuration, { voters: ['1', '2', '3'], learners: ['4'] });
  });

  it('§4.1 when a configuration entry is truncated from a log, the node returns to the previous configuration', () => {
    const node = makeNode('2', {
      voters: ['1', '2', '3'],
      logTerms: [1],
      hardState: { term: 1, vote: '', commit: 1 },
    });
    const grown = { voters: ['1', '2', '3', '4'], learners: [] };
    const change = encodeConfChangeEntry({ change: { kind: 'addVoter', node: '4' }, confState: grown });
    node.raw.step({
      type: 'append',
      from: '1',
      to: '2',
      term: 1,
      prevIndex: 1,
      prevTerm: 1,
      entries: [{ index: 2, term: 1, type: 'confChange', data: change }],
      commit: 1,
    });
    drain(node);
    assert.deepEqual(node.raw.status().configuration, grown, 'in force once appended');
    // A leader of a later term never had that entry: its own entry at index 2 replaces it.
    node.raw.step({
      type: 'append',
      from: '3',
      to: '2',
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      entries: [{ index: 2, term: 2, type: 'noop', data: new Uint8Array(0) }],
      commit: 1,
    });
    drain(node);
    assert.deepEqual(node.raw.status().configuration, { voters: ['1', '2', '3'], learners: [] });
    assert.equal(node.raw.status().configurationIndex, 0);
  });

  it('§4.1 the leader refuses a second change while the first is uncommitted', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], spare: ['4', '5'] });
    commitNoop(cluster, '1');
    cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '4' });
    assert.throws(
      () => cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '5' }),
      (error: unknown) => error instanceof ConfChangeRejectedError && /not committed yet/.test(error.message),
    );
    cluster.stabilize();
    cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '5' });
  });

  it('§4.1 (errata) a new leader accepts no change before it has committed an entry of its term', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], spare: ['4'] });
    cluster.campaign('1');
    // Deliver the votes but not the appends that carry the leader's no-op.
    for (let i = 0; i < 20; i++) {
      const next = cluster.queue.shift();
      if (next === undefined) break;
      if (next.type === 'append') continue;
      cluster.raw(next.to).step(next);
      cluster.process(next.to);
    }
    assert.equal(cluster.raw('1').status().role, 'leader');
    assert.throws(
      () => cluster.raw('1').proposeConfChange({ kind: 'addVoter', node: '4' }),
      (error: unknown) =>
        error instanceof ConfChangeRejectedError && /not committed an entry of its term/.test(error.message),
    );
  });

  it('§4.2.1 (paper §6: new servers) a learner receives the log but neither votes in a quorum nor campaigns', () => {
    const cluster = new TestCluster({ voters: ['1', '2'], learners: ['3'] });
    cluster.elect('1');
    cluster.isolate('2');
    cluster.propose('1', 'x');
    cluster.stabilize();
    assert.deepEqual(cluster.node('3').state, [], 'the learner holds x but it is not committed');
    assert.equal(cluster.raw('1').status().commit, 1, 'the learner’s copy does not count toward a majority');
    assert.equal(cluster.raw('3').status().lastIndex, 2);
    cluster.heal();
    cluster.run(3);
    assert.deepEqual(cluster.node('3').state, ['x']);
    // A learner never starts an election, however long it waits.
    cluster.crash('1');
    cluster.crash('2');
    cluster.run(100);
    assert.equal(cluster.raw('3').status().role, 'follower');
    assert.equal(cluster.raw('3').status().term, 1);
  });

  it('§4.2.1 a promoted learner votes and counts toward commitment', () => {
    const cluster = new TestCluster({ voters: ['1', '2'], learners: ['3'] });
    commitNoop(cluster, '1');
    cluster.raw('1').proposeConfChange({ kind: 'addVoter', node: '3' });
    cluster.stabilize();
    assert.deepEqual(cluster.raw('3').status().configuration, { voters: ['1', '2', '3'], learners: [] });
    cluster.isolate('2');
    cluster.propose('1', 'y');
    cluster.stabilize();
    assert.deepEqual(cluster.node('1').state, ['y'], 'committed by 1 and 3 without 2');
  });

  it('§4.2.2 (paper §6: leader not in the new configuration) a leader that removes itself leads until the change commits, without counting itself, then steps down', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    commitNoop(cluster, '1');
    cluster.raw('1').proposeConfChange({ kind: 'removeNode', node: '1' });
    cluster.process('1');
    assert.equal(cluster.raw('1').status().role, 'leader', 'still leading while the change is uncommitted');
    assert.equal(cluster.raw('1').status().progress.has('1'), false, 'and no longer counting itself');
    assert.throws(() => cluster.propose('1', 'z'), ProposalDroppedError);
    cluster.stabilize();
    assert.equal(cluster.raw('1').status().role, 'follower', 'stepped down once the removal committed');
    assert.deepEqual(cluster.raw('2').status().configuration.voters, ['2', '3']);
    assert.equal(
      cluster.raw('2').status().commit,
      cluster.raw('1').status().commit,
      'the commit reached the others',
    );
    cluster.crash('1');
    cluster.run(40);
    const leader = cluster.leader();
    assert.ok(leader === '2' || leader === '3', 'the remaining voters elect a leader');
  });

  it('§4.2.3 (paper §6: removed servers) with CheckQuorum a removed node cannot disrupt the cluster', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    commitNoop(cluster, '1');
    // The leader stops sending to node 3 as soon as the removal is in its log, so node 3 never learns.
    cluster.raw('1').proposeConfChange({ kind: 'removeNode', node: '3' });
    cluster.block('1', '3');
    cluster.stabilize();
    const term = cluster.raw('1').status().term;
    cluster.run(60);
    assert.equal(cluster.raw('1').status().role, 'leader');
    assert.equal(cluster.raw('1').status().term, term, 'node 3’s campaigns did not raise the term');
    assert.equal(cluster.raw('3').status().role === 'leader', false);
  });

  it('§4.3 a voter demoted by an uncommitted change still campaigns when its log is the one a quorum needs', () => {
    // Voters 2 and 3. Node 3 holds a change demoting itself that node 2 lacks; the leader is gone. Node 2
    // cannot win (its log is behind); node 3 must be allowed to campaign, win, and finish the change.
    const cluster = new TestCluster({ voters: ['1', '2', '3'] });
    commitNoop(cluster, '3');
    cluster.raw('3').proposeConfChange({ kind: 'removeNode', node: '1' });
    cluster.stabilize();
    cluster.crash('1');
    cluster.block('3', '2');
    cluster.raw('3').proposeConfChange({ kind: 'addLearner', node: '3' });
    cluster.process('3');
    cluster.dropQueued();
    assert.deepEqual(cluster.raw('3').status().configuration, { voters: ['2'], learners: ['3'] });
    // Leader 3 loses leadership (CheckQuorum) and the cluster must still recover.
    cluster.heal();
    cluster.block('3', '2');
    cluster.run(30);
    cluster.heal();
    cluster.run(60);
    const leader = cluster.leader();
    assert.ok(leader !== undefined, 'a leader was elected');
    assert.deepEqual(cluster.raw('2').status().configuration, { voters: ['2'], learners: ['3'] });
    cluster.run(20);
    assert.equal(cluster.leader(), '2', 'in the end the only voter leads');
  });

  it('a node that joins with an empty log learns the configuration from the log it receives', () => {
    const cluster = new TestCluster({ voters: ['1'], spare: ['2'] });
    cluster.elect('1');
    cluster.stabilize();
    assert.deepEqual(cluster.raw('2').status().configuration, { voters: [], learners: [] });
    cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '2' });
    cluster.stabilize();
    cluster.raw('1').proposeConfChange({ kind: 'addVoter', node: '2' });
    cluster.stabilize();
    assert.deepEqual(cluster.raw('2').status().configuration, { voters: ['1', '2'], learners: [] });
    assert.equal(cluster.raw('2').status().commit, cluster.raw('1').status().commit);
  });

  it('a restarted node rebuilds its configuration from its snapshot and the entries after it', () => {
    const cluster = new TestCluster({ voters: ['1', '2', '3'], spare: ['4', '5'] });
    commitNoop(cluster, '1');
    cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '4' });
    cluster.stabilize();
    cluster.snapshotAndCompact('2');
    cluster.raw('1').proposeConfChange({ kind: 'addLearner', node: '5' });
    cluster.stabilize();
    cluster.crash('2');
    cluster.restart('2');
    assert.deepEqual(cluster.raw('2').status().configuration, {
      voters: ['1', '2', '3'],
      learners: ['4', '5'],
    });
  });

  it('a leader applies a sequence of changes one after another as each commits', () => {
    const cluster = new TestCluster({ voters: ['1'], spare: ['2', '3'] });
    commitNoop(cluster, '1');
    const changes: ConfChange[] = [
      { kind: 'addLearner', node: '2' },
      { kind: 'addVoter', node: '2' },
      { kind: 'addLearner', node: '3' },
      { kind: 'addVoter', node: '3' },
      { kind: 'addLearner', node: '2' },
      { kind: 'removeNode', node: '2' },
      { kind: 'removeNode', node: '1' },
    ];
    for (const change of changes) {
      const leader = cluster.leader();
      assert.ok(leader !== undefined);
      cluster.raw(leader).proposeConfChange(change);
      cluster.run(30);
    }
    assert.equal(cluster.leader(), '3');
    assert.deepEqual(cluster.raw('3').status().configuration, { voters: ['3'], learners: [] });
  });
});
