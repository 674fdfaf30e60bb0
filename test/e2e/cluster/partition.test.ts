// Cut the leader off from the other two nodes with the proxy mesh, so that no byte passes between them
// while every process keeps running. The isolated leader must acknowledge nothing (it cannot reach a
// majority) and must step down on its own (CheckQuorum); the majority must elect a new leader and accept
// writes; after the partition heals, every node must converge to the same rows. rqlited cannot dial its
// peers through test proxies, so this runs against dustd only.
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
import { clusterSkipReason, serverFromEnvironment, serverTraits } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = serverTraits[server].peerAddressOverride
  ? await clusterSkipReason(server)
  : `${server} cannot route node-to-node traffic through the test proxies, so partitions need dustd`;
const partitionMinMs = 4_000;
const takeoverLimitMs = 10_000;

describe(`an isolated ${server} leader`, { skip: skipReason ?? false, timeout: 120_000 }, () => {
  it('acknowledges nothing and steps down, while the majority elects a new leader; all converge after healing', async (t) => {
    await withCluster({ size: 3, server, meshed: true }, async (cluster) => {
      const mesh = cluster.mesh;
      assert.ok(mesh !== null);
      const created = await cluster.execute(await cluster.leader(), [
        'CREATE TABLE split (id INTEGER PRIMARY KEY, v TEXT NOT NULL)',
      ]);
      assert.equal(judgeWrite(created, 1).kind, 'ok', describeOutcome(created));

      const oldLeader = await cluster.leader();
      const majority = cluster.nodes.filter((node) => node !== oldLeader);
      const toMajority = new InsertWorkload(cluster, {
        table: 'split',
        writers: 3,
        firstId: 1,
        insertsMax: 20_000,
        durationMaxMs: 60_000,
        requestTimeoutMs: 5_000,
        targets: () => majority,
      }).start();
      let toMinority: InsertWorkload | undefined;
      try {
        await sleep(1_000);
        mesh.isolate(oldLeader.id);
        const isolatedAtMs = nowMs();
        toMinority = new InsertWorkload(cluster, {
          table: 'split',
          writers: 2,
          firstId: 1_000_000,
          insertsMax: 1_000,
          durationMaxMs: 60_000,
          requestTimeoutMs: 3_000,
          targets: () => [oldLeader],
        }).start();

        const successor = await cluster.leader({ timeoutMs: takeoverLimitMs, among: majority });
        const electedAfterMs = nowMs() - isolatedAtMs;
        assert.ok(majority.includes(successor), `the new leader ${successor.id} is in the majority`);
        const probe = await cluster.execute(
          successor,
          [['INSERT INTO split(id, v) VALUES(?, ?)', 0, rowValue(0)]],
          {
            timeoutMs: takeoverLimitMs,
          },
        );
        assert.deepEqual(judgeWrite(probe, 1), { kind: 'ok', rowsAffected: [1] }, describeOutcome(probe));

        let lastState = '';
        await pollUntil(
          async () => {
            const status = await cluster.status(oldLeader);
            lastState = status === undefined ? 'no answer' : `${status.state} in term ${status.term}`;
            return status !== undefined && status.state !== 'Leader' ? true : undefined;
          },
          {
            timeoutMs: takeoverLimitMs,
            onTimeout: () => new Error(`isolated node ${oldLeader.id} still says it leads: ${lastState}`),
          },
        );
        const steppedDownAfterMs = nowMs() - isolatedAtMs;
        await sleep(Math.max(0, isolatedAtMs + partitionMinMs - nowMs()));
        await toMinority.stop();
        assert.equal(
          toMinority.acknowledged.size,
          0,
          `the isolated node acknowledged ${toMinority.acknowledged.size} writes: ${describeOutcomeCounts(toMinority)}`,
        );

        mesh.heal();
        const healedAtMs = nowMs();
        await cluster.waitForMembers(takeoverLimitMs);
        const rejoinedAfterMs = nowMs() - healedAtMs;
        await sleep(500);
        await toMajority.stop();

        const sent = new Set([0, ...toMajority.sent, ...toMinority.sent]);
        const acknowledged = new Set([0, ...toMajority.acknowledged]);
        const rowsByNode = await waitForConvergence(cluster, 'split', 30_000);
        assert.equal(rowsByNode.size, cluster.nodes.length);
        assertNoLostOrInventedRows(rowsByNode, sent, acknowledged, 'after healing');
        assertFailedInsertsAbsent(
          rowsByNode,
          [...toMajority.records, ...toMinority.records],
          'after healing',
        );
        const minorityRowsKept = [...toMinority.sent].filter(
          (id) => rowsByNode.get(successor.id)?.has(id) === true,
        );
        t.diagnostic(
          `isolated leader ${oldLeader.id}; node ${successor.id} led after ${Math.round(electedAfterMs)} ms; ` +
            `node ${oldLeader.id} stepped down after ${Math.round(steppedDownAfterMs)} ms; after healing the ` +
            `cluster agreed again in ${Math.round(rejoinedAfterMs)} ms. Writes to the majority: ` +
            `${describeOutcomeCounts(toMajority)}; to the isolated node: ${describeOutcomeCounts(toMinority)}, ` +
            `${minorityRowsKept.length} of them present in the end`,
        );
      } finally {
        await toMajority.stop();
        await toMinority?.stop();
      }
    });
  });
});
