// Nodes started with -raft-cluster-remove-shutdown leave the cluster when stopped with SIGTERM, so that a
// cluster can be scaled down one node at a time without losing its quorum: after a follower and then
// the leader have left, the last node is a cluster of one that still commits writes. The nodes also run
// with Raft timeouts other than the defaults, and /status must report them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { judgeQuery, judgeWrite } from './api-results.js';
import { Cluster, type ClusterNode } from './cluster-harness.js';
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
