// A follower is SIGKILLed while clients write, misses many entries, and is restarted: it must catch up to
// the leader (the same rows, not merely the same count). Snapshots are taken often, so the leader may have
// compacted away the entries the follower missed and must send it a snapshot instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeWrite } from './api-results.js';
import { withCluster } from './cluster-harness.js';
import {
  InsertWorkload,
  assertFailedInsertsAbsent,
  assertNoLostOrInventedRows,
  describeOutcomeCounts,
  readRows,
  waitForConvergence,
} from './insert-workload.js';
import { describeOutcome } from './node-http.js';
import { nowMs, pollUntil, sleep } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const catchUpLimitMs = 30_000;

describe(`a killed ${server} follower`, { skip: skipReason ?? false, timeout: 120_000 }, () => {
  it('catches up with the leader after missing many writes', async (t) => {
    await withCluster(
      { size: 3, server, flags: ['-raft-snap', '200', '-raft-snap-int', '500ms'] },
      async (cluster) => {
        const created = await cluster.execute(await cluster.leader(), [
          'CREATE TABLE caught (id INTEGER PRIMARY KEY, v TEXT NOT NULL)',
        ]);
        assert.equal(judgeWrite(created, 1).kind, 'ok', describeOutcome(created));
        const workload = new InsertWorkload(cluster, {
          table: 'caught',
          writers: 4,
          firstId: 1,
          insertsMax: 30_000,
          durationMaxMs: 60_000,
          requestTimeoutMs: 5_000,
        }).start();
        try {
          await sleep(1_000);
          const [follower] = await cluster.followers();
          assert.ok(follower !== undefined);
          const beforeKill = await cluster.status(follower);
          await cluster.kill(follower, 'SIGKILL');
          const acknowledgedAtKill = workload.acknowledged.size;

          // Keep writing until the follower has missed a good many entries.
          await pollUntil(
            async () => (workload.acknowledged.size - acknowledgedAtKill >= 1_500 ? true : undefined),
            {
              timeoutMs: 20_000,
              intervalMs: 100,
              onTimeout: () =>
                new Error(
                  `the two remaining nodes acknowledged only ${workload.acknowledged.size - acknowledgedAtKill} writes in 20 s`,
                ),
            },
          );
          const missed = workload.acknowledged.size - acknowledgedAtKill;
          const leaderStatus = await cluster.status(await cluster.leader());

          const restartedAtMs = nowMs();
          await cluster.restart(follower);
          await sleep(1_000);
          await workload.stop();

          const leader = await cluster.leader();
          const reference = await readRows(cluster, leader, 'caught', 'strong');
          if (typeof reference === 'string')
            assert.fail(`leader ${leader.id} could not be read: ${reference}`);
          let lastCount = -1;
          await pollUntil(
            async () => {
              const rows = await readRows(cluster, follower, 'caught', 'none');
              lastCount = typeof rows === 'string' ? -1 : rows.size;
              return lastCount === reference.size ? true : undefined;
            },
            {
              timeoutMs: catchUpLimitMs,
              intervalMs: 100,
              onTimeout: () =>
                new Error(
                  `node ${follower.id} has ${lastCount} rows after ${catchUpLimitMs} ms; the leader has ${reference.size}`,
                ),
            },
          );
          const caughtUpAfterMs = nowMs() - restartedAtMs;

          const rowsByNode = await waitForConvergence(cluster, 'caught', catchUpLimitMs);
          assert.equal(rowsByNode.size, cluster.nodes.length);
          assertNoLostOrInventedRows(rowsByNode, workload.sent, workload.acknowledged, 'after catch-up');
          assertFailedInsertsAbsent(rowsByNode, workload.records, 'after catch-up');
          t.diagnostic(
            `node ${follower.id} was killed at applied index ${beforeKill?.appliedIndex ?? '?'}, missed ${missed} ` +
              `acknowledged writes (leader at commit ${leaderStatus?.commitIndex ?? '?'}, last snapshot ` +
              `${leaderStatus?.lastSnapshotIndex ?? '?'}), and held all ${reference.size} rows ` +
              `${Math.round(caughtUpAfterMs)} ms after its restart began; ${describeOutcomeCounts(workload)}`,
          );
        } finally {
          await workload.stop();
        }
      },
    );
  });
});
