// Nodes started with -raft-cluster-remove-shutdown leave the cluster when stopped with SIGTERM, so that a
// cluster can be scaled down one node at a time without losing its quorum: after a follower and then
// the leader have left, the last node is a cluster of one that still commits writes. The nodes also run
// with Raft timeouts other than the defaults, and /status must report them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { judgeQuery, judgeWrite } from './api-results.js';
import { Cluster, type ClusterNode, withCluster } from './cluster-harness.js';
import { describeOutcome, jsonString } from './node-http.js';
import { pollUntil } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const membershipTimeoutMs = 15_000;

describe(
  `${server} nodes that leave their cluster on SIGTERM`,
  { skip: skipReason ?? false, timeout: 120_000 },
  () => {
    let cluster: Cluster | undefined;
    const started = (): Cluster => {
      assert.ok(cluster !== undefined, 'the cluster started');
      return cluster;
    };

    before(async () => {
      cluster = await Cluster.start({
        size: 3,
        server,
        flags: ['-raft-cluster-remove-shutdown', '-raft-timeout', '800ms', '-raft-election-timeout=1.5s'],
      });
    });

    after(async () => {
      await cluster?.cleanup();
    });

    /** Waits until every node in `nodes` lists exactly `memberIds` as the cluster's members. */
    async function waitForMembers(
      nodes: readonly ClusterNode[],
      memberIds: readonly string[],
    ): Promise<void> {
      const expected = [...memberIds].sort().join(',');
      let lastSeen = '';
      await pollUntil(
        async () => {
          const statuses = await started().statuses(nodes);
          lastSeen = [...statuses]
            .map(([id, status]) => `${id}: [${status?.memberIds.join(',') ?? '?'}]`)
            .join('; ');
          return [...statuses.values()].every(
            (status) => [...(status?.memberIds ?? [])].sort().join(',') === expected,
          )
            ? true
            : undefined;
        },
        {
          timeoutMs: membershipTimeoutMs,
          onTimeout: () =>
            new Error(`members did not become [${expected}] within ${membershipTimeoutMs} ms; ${lastSeen}`),
        },
      );
    }

    it('reports the Raft timeouts it was given in /status', async () => {
      const outcome = await started().get(started().nodes[0]!, '/status');
      assert.equal(outcome.kind === 'answered' && outcome.status, 200, describeOutcome(outcome));
      assert.ok(outcome.kind === 'answered');
      assert.equal(jsonString(outcome.json, 'store', 'heartbeat_timeout'), '800ms');
      assert.equal(jsonString(outcome.json, 'store', 'election_timeout'), '1.5s');
    });

    it('removes a follower, then the leader, and the last node goes on alone', async () => {
      await started().explainFailures(async () => {
        const all = started().nodes;
        const leader = await started().leader();
        const created = await started().execute(leader, [
          'CREATE TABLE t (id INTEGER PRIMARY KEY)',
          'INSERT INTO t VALUES (1)',
        ]);
        assert.equal(judgeWrite(created, 2).kind, 'ok', describeOutcome(created));

        const follower = all.find((node) => node !== leader);
        assert.ok(follower !== undefined);
        const followerExit = await started().kill(follower, 'SIGTERM');
        assert.equal(followerExit.code, 0, `the follower exits cleanly: ${JSON.stringify(followerExit)}`);
        const remaining = all.filter((node) => node !== follower);
        await waitForMembers(
          remaining,
          remaining.map((node) => node.id),
        );

        const leaderExit = await started().kill(leader, 'SIGTERM');
        assert.equal(leaderExit.code, 0, `the leader exits cleanly: ${JSON.stringify(leaderExit)}`);
        const last = remaining.find((node) => node !== leader);
        assert.ok(last !== undefined);
        await waitForMembers([last], [last.id]);

        // With one voter left, that node is its own quorum: it leads and commits without the others.
        const written = await pollUntil(
          async () => {
            const outcome = await started().execute(last, ['INSERT INTO t VALUES (2)']);
            return judgeWrite(outcome, 1).kind === 'ok' ? outcome : undefined;
          },
          {
            timeoutMs: membershipTimeoutMs,
            onTimeout: () => new Error('the last node never accepted a write'),
          },
        );
        assert.equal(judgeWrite(written, 1).kind, 'ok');
        const read = judgeQuery(
          await started().query(last, 'SELECT COUNT(*) FROM t', [], { level: 'strong' }),
        );
        assert.equal(read.kind, 'rows', JSON.stringify(read));
        assert.deepEqual(read.kind === 'rows' ? read.rows : undefined, [[2]]);
      });
    });
  },
);

// rqlited 8.26 with -raft-remove-shutdown stops only its Raft and keeps the process running.
const exitsWhenRemoved = server === 'dustd' ? false : 'rqlited 8.26 keeps running after its removal';

describe(
  `a ${server} node started with -raft-remove-shutdown`,
  { skip: skipReason ?? exitsWhenRemoved, timeout: 120_000 },
  () => {
    it('stops cleanly once the leader removes it, and the others go on as two', async () => {
      await withCluster({ size: 3, server, flags: ['-raft-remove-shutdown'] }, async (cluster) => {
        const leader = await cluster.leader();
        const removed = cluster.nodes.find((node) => node !== leader);
        assert.ok(removed !== undefined);
        const outcome = await cluster.http.send({
          method: 'DELETE',
          address: leader.httpAddress,
          pathAndQuery: '/remove',
          body: { id: removed.id },
          timeoutMs: 10_000,
        });
        assert.equal(outcome.kind === 'answered' ? outcome.status : undefined, 200, describeOutcome(outcome));
        const exit = await removed.waitForExit(membershipTimeoutMs);
        assert.equal(exit.code, 0, `the removed node exits cleanly: ${JSON.stringify(exit)}`);
        assert.match(removed.outputTail(20), /removed from the cluster by its leader/);
        const remaining = cluster.nodes.filter((node) => node !== removed);
        const written = await cluster.execute(leader, [
          'CREATE TABLE after_removal (id INTEGER PRIMARY KEY)',
        ]);
        assert.equal(judgeWrite(written, 1).kind, 'ok', describeOutcome(written));
        for (const node of remaining) {
          const status = await cluster.status(node);
          assert.deepEqual(
            [...(status?.memberIds ?? [])].sort(),
            remaining.map((member) => member.id).sort(),
            `node ${node.id} lists the two remaining members`,
          );
        }
      });
    });
  },
);
