// SIGSTOP the leader for longer than the election timeout: it keeps its sockets but answers nothing, like
// a process stuck in a long pause. The others must elect a new leader and accept writes; when the old
// leader resumes (SIGCONT) it must find out it was replaced, become a follower and converge. Writes sent
// to the paused leader wait in its socket and reach it only after it resumes, still believing it leads:
// any of them that it acknowledges must survive, like every other acknowledged write.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeWrite } from './api-results.js';
import { withCluster } from './cluster-harness.js';
import {
  InsertWorkload,
  assertFailedInsertsAbsent,
  assertNoLostOrInventedRows,
  describeOutcomeCounts,
  rowValue,
  waitForConvergence,
} from './insert-workload.js';
import { describeOutcome } from './node-http.js';
import { nowMs, pollUntil, sleep } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
/** Four election timeouts (1 s each by default). */
const pauseMs = 4_000;
const takeoverLimitMs = 10_000;

describe(`a paused ${server} leader`, { skip: skipReason ?? false, timeout: 120_000 }, () => {
  it('is replaced while paused, and rejoins as a follower when resumed', async (t) => {
    await withCluster({ size: 3, server }, async (cluster) => {
      const created = await cluster.execute(await cluster.leader(), [
        'CREATE TABLE paused (id INTEGER PRIMARY KEY, v TEXT NOT NULL)',
      ]);
      assert.equal(judgeWrite(created, 1).kind, 'ok', describeOutcome(created));
      const workload = new InsertWorkload(cluster, {
        table: 'paused',
        writers: 3,
        firstId: 1,
        insertsMax: 20_000,
        durationMaxMs: 60_000,
        requestTimeoutMs: 5_000,
      }).start();
      let toPaused: InsertWorkload | undefined;
      try {
        await sleep(1_000);
        const oldLeader = await cluster.leader();
        cluster.stop(oldLeader);
        const pausedAtMs = nowMs();
        // One writer keeps sending to the paused node; its requests wait until the node resumes.
        toPaused = new InsertWorkload(cluster, {
          table: 'paused',
          writers: 2,
          firstId: 1_000_000,
          insertsMax: 100,
          durationMaxMs: 60_000,
          requestTimeoutMs: 20_000,
          targets: () => [oldLeader],
        }).start();

        const successor = await cluster.leader({ timeoutMs: takeoverLimitMs });
        const electedAfterMs = nowMs() - pausedAtMs;
        assert.notEqual(successor, oldLeader);
        // The other writers may still be waiting on requests that went to (or through) the paused node, so
        // the new leader's service is measured with a write of its own.
        const probe = await cluster.execute(
          successor,
          [['INSERT INTO paused(id, v) VALUES(?, ?)', 0, rowValue(0)]],
          {
            timeoutMs: takeoverLimitMs,
          },
        );
        assert.deepEqual(judgeWrite(probe, 1), { kind: 'ok', rowsAffected: [1] }, describeOutcome(probe));
        const servedAfterMs = nowMs() - pausedAtMs;
        await sleep(Math.max(0, pausedAtMs + pauseMs - nowMs()));

        cluster.cont(oldLeader);
        const resumedAtMs = nowMs();
        let lastState = '';
        await pollUntil(
          async () => {
            const status = await cluster.status(oldLeader);
            lastState = status === undefined ? 'no answer' : `${status.state}, leader "${status.leaderId}"`;
            return status?.state === 'Follower' && status.leaderId !== '' && status.leaderId !== oldLeader.id
              ? true
              : undefined;
          },
          {
            timeoutMs: takeoverLimitMs,
            onTimeout: () =>
              new Error(
                `node ${oldLeader.id} did not become a follower after resuming; it says: ${lastState}`,
              ),
          },
        );
        const followerAfterMs = nowMs() - resumedAtMs;
        await sleep(1_000);
        await workload.stop();
        await toPaused.stop();

        const sent = new Set([0, ...workload.sent, ...toPaused.sent]);
        const acknowledged = new Set([0, ...workload.acknowledged, ...toPaused.acknowledged]);
        const rowsByNode = await waitForConvergence(cluster, 'paused', 30_000);
        assert.equal(rowsByNode.size, cluster.nodes.length);
        assertNoLostOrInventedRows(rowsByNode, sent, acknowledged, 'after the pause');
        assertFailedInsertsAbsent(rowsByNode, [...workload.records, ...toPaused.records], 'after the pause');
        t.diagnostic(
          `paused leader ${oldLeader.id}; node ${successor.id} led after ${Math.round(electedAfterMs)} ms and ` +
            `acknowledged a write after ${Math.round(servedAfterMs)} ms; resumed after ${Math.round(resumedAtMs - pausedAtMs)} ms, ` +
            `node ${oldLeader.id} was a follower ${Math.round(followerAfterMs)} ms later. Writes elsewhere: ` +
            `${describeOutcomeCounts(workload)}; writes sent to the paused node: ${describeOutcomeCounts(toPaused)}`,
        );
      } finally {
        await workload.stop();
        await toPaused?.stop();
      }
    });
  });
});
