// SIGKILL the leader while several clients write: a new leader must take over within seconds, the killed
// node must come back from its own data, and afterwards every node must hold every acknowledged row and
// nothing that no client sent. Three cycles, so the second and third kills hit leaders elected under load.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeWrite } from './api-results.js';
import { withCluster } from './cluster-harness.js';
import {
  InsertWorkload,
  type InsertRecord,
  assertFailedInsertsAbsent,
  assertNoLostOrInventedRows,
  describeOutcomeCounts,
  waitForConvergence,
} from './insert-workload.js';
import { describeOutcome } from './node-http.js';
import { nowMs, sleep } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const cycles = 3;
/** "Within a few seconds": an election takes one to two election timeouts (1 s each by default). */
const takeoverLimitMs = 10_000;
const convergenceLimitMs = 30_000;

describe(
  `SIGKILL of the ${server} leader under writes`,
  { skip: skipReason ?? false, timeout: 180_000 },
  () => {
    it(`elects a new leader and loses no acknowledged write over ${cycles} kill/restart cycles`, async (t) => {
      await withCluster({ size: 3, server }, async (cluster) => {
        const created = await cluster.execute(await cluster.leader(), [
          'CREATE TABLE acked (id INTEGER PRIMARY KEY, v TEXT NOT NULL)',
        ]);
        assert.equal(judgeWrite(created, 1).kind, 'ok', describeOutcome(created));
        const sent = new Set<number>();
        const acknowledged = new Set<number>();
        const records: InsertRecord[] = [];

        for (let cycle = 1; cycle <= cycles; cycle++) {
          const workload = new InsertWorkload(cluster, {
            table: 'acked',
            writers: 4,
            firstId: cycle * 1_000_000,
            insertsMax: 20_000,
            durationMaxMs: 60_000,
            requestTimeoutMs: 5_000,
          }).start();
          try {
            await sleep(1_000);
            const leader = await cluster.leader();
            assert.ok(
              workload.acknowledged.size > 0,
              `cycle ${cycle}: writes were acknowledged before the kill`,
            );

            const killedAtMs = nowMs();
            await cluster.kill(leader, 'SIGKILL');
            const successor = await cluster.leader({ timeoutMs: takeoverLimitMs });
            const electedAfterMs = nowMs() - killedAtMs;
            assert.notEqual(successor, leader, `cycle ${cycle}: a node other than the killed one leads`);
            const servedAtMs = await workload.waitForAcknowledgementAfter(killedAtMs, takeoverLimitMs);

            // The killed node restarts while the writers are still running, and catches up under load.
            await sleep(500);
            await cluster.restart(leader);
            await sleep(1_000);
            await workload.stop();
            workload.sent.forEach((id) => sent.add(id));
            workload.acknowledged.forEach((id) => acknowledged.add(id));
            records.push(...workload.records);

            const rowsByNode = await waitForConvergence(cluster, 'acked', convergenceLimitMs);
            assert.equal(rowsByNode.size, cluster.nodes.length, `cycle ${cycle}: every node was compared`);
            assertNoLostOrInventedRows(rowsByNode, sent, acknowledged, `cycle ${cycle}`);
            assertFailedInsertsAbsent(rowsByNode, records, `cycle ${cycle}`);
            t.diagnostic(
              `cycle ${cycle}: killed leader ${leader.id}; node ${successor.id} led after ${Math.round(electedAfterMs)} ms ` +
                `and an insert sent after the kill was acknowledged after ${Math.round(servedAtMs - killedAtMs)} ms; ` +
                `${describeOutcomeCounts(workload)}; every node holds ${rowsByNode.values().next().value?.size ?? 0} rows`,
            );
          } finally {
            await workload.stop();
          }
        }
      });
    });
  },
);
