// Nodes started with -raft-reap-node-timeout: the leader removes a voter it has not heard from for that
// long, and the two that remain go on as a cluster of two; a node silent for less than the timeout (a
// short pause) stays a member.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { judgeWrite } from './api-results.js';
import { withCluster } from './cluster-harness.js';
import { describeOutcome } from './node-http.js';
import { pollUntil } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const reapAfterMs = 3000;
const reapWithinMs = reapAfterMs + 10_000;

describe(
  `${server} nodes that reap unreachable voters`,
  { skip: skipReason ?? false, timeout: 120_000 },
  () => {
    it('keeps a briefly paused voter, reaps a killed one, and the other two go on', async () => {
      await withCluster(
        { size: 3, server, flags: ['-raft-reap-node-timeout', `${reapAfterMs}ms`] },
        async (cluster) => {
          const leader = await cluster.leader();
          const [paused, killed] = cluster.nodes.filter((node) => node !== leader);
          assert.ok(paused !== undefined && killed !== undefined);
          const allIds = cluster.nodes.map((node) => node.id).sort();

          cluster.stop(paused);
          await sleep(reapAfterMs / 3);
          cluster.cont(paused);
          await sleep(reapAfterMs);
          const afterPause = await cluster.status(leader);
          assert.deepEqual(
            [...(afterPause?.memberIds ?? [])].sort(),
            allIds,
            'the paused node is still a member',
          );

          await cluster.kill(killed, 'SIGKILL');
          const remaining = [leader.id, paused.id].sort();
          let lastSeen = '';
          await pollUntil(
            async () => {
              const status = await cluster.status(leader);
              lastSeen = (status?.memberIds ?? []).join(',');
              return [...(status?.memberIds ?? [])].sort().join(',') === remaining.join(',')
                ? true
                : undefined;
            },
            {
              timeoutMs: reapWithinMs,
              onTimeout: () =>
                new Error(`node ${killed.id} was not reaped within ${reapWithinMs} ms; members: ${lastSeen}`),
            },
          );
          if (server === 'dustd') {
            assert.match(leader.outputTail(40), new RegExp(`reaping node ${killed.id}: not heard from for`));
          }
          const written = await cluster.execute(leader, [
            'CREATE TABLE after_reaping (id INTEGER PRIMARY KEY)',
          ]);
          assert.equal(judgeWrite(written, 1).kind, 'ok', describeOutcome(written));
          const followerStatus = await cluster.status(paused);
          assert.deepEqual([...(followerStatus?.memberIds ?? [])].sort(), remaining, 'the follower agrees');
        },
      );
    });
  },
);
