// A read that runs for seconds must not cost the cluster its leader: SQL reads run on worker threads and
// applies run beside the consensus loop, so a node keeps sending heartbeats meanwhile. The test runs a
// multi-second query on a follower while writes go to the leader (they must not slow down), then one on
// the leader itself (writes there wait for it: an in-memory SQLite database lets a commit through only
// once its readers are done; but nobody may call an election), and checks that the term never moved.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { judgeWrite } from './cluster/api-results.js';
import { withCluster } from './cluster/cluster-harness.js';
import { describeOutcome, type HttpOutcome } from './cluster/node-http.js';
import { nowMs } from './cluster/polling.js';
import { clusterSkipReason } from './cluster/server-binary.js';

const skipReason = await clusterSkipReason('dustd');
/** Rows a recursive CTE counts to take about `seconds` here, measured on the spot (machines differ). */
function rowsForSeconds(seconds: number): number {
  const probe = new Database(':memory:');
  const sample = 500_000;
  const startedMs = nowMs();
  probe.prepare(countingQuery(sample)).get();
  const perRowMs = (nowMs() - startedMs) / sample;
  probe.close();
  return Math.min(200_000_000, Math.max(sample, Math.round((seconds * 1000) / perRowMs)));
}

function countingQuery(rows: number): string {
  return `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT count(*) FROM c`;
}

// About three seconds: long beside a one-second election timeout, and still above the 1.5 s floor below
// when the nodes run slower or faster than this process measured.
const slowRows = rowsForSeconds(3);
const slowQuery = countingQuery(slowRows);
const writesMax = 400;
/** Far below the 1 s election timeout would be nicer, but shared machines stall; an election is what counts. */
const writeLatencyMaxMs = 900;

describe('a long read on a dustd cluster', { skip: skipReason ?? false, timeout: 120_000 }, () => {
  it('causes no election and does not stall writes', async () => {
    await withCluster({ size: 3, server: 'dustd' }, async (cluster) => {
      const leader = await cluster.leader();
      const [follower] = await cluster.followers();
      assert.ok(follower !== undefined);
      const created = await cluster.execute(leader, ['CREATE TABLE w (id INTEGER PRIMARY KEY)']);
      assert.equal(judgeWrite(created, 1).kind, 'ok', `CREATE TABLE: ${describeOutcome(created)}`);
      const termBefore = (await cluster.status(leader))?.term;

      let nextId = 1;
      /** Writes to the leader while `read` runs; returns each write's latency. */
      const writeDuring = async (read: Promise<HttpOutcome>): Promise<number[]> => {
        const startedMs = nowMs();
        let readDone = false;
        const settled = read.finally(() => (readDone = true));
        const latencies: number[] = [];
        for (let count = 0; count < writesMax && !readDone; count++) {
          const id = nextId++;
          const sentMs = nowMs();
          const written = await cluster.execute(leader, [['INSERT INTO w(id) VALUES(?)', id]]);
          assert.equal(judgeWrite(written, 1).kind, 'ok', `write ${id}: ${describeOutcome(written)}`);
          latencies.push(nowMs() - sentMs);
        }
        const answer = await settled;
        const readMs = nowMs() - startedMs;
        assert.ok(answer.kind === 'answered' && answer.status === 200, describeOutcome(answer));
        assert.ok(answer.text.includes(`"values":[[${slowRows}]]`), describeOutcome(answer));
        assert.ok(readMs > 1_500, `the slow query took only ${readMs} ms: it does not test anything`);
        return latencies;
      };

      const duringFollowerRead = await writeDuring(
        cluster.query(follower, slowQuery, [], { level: 'none', timeoutMs: 60_000 }),
      );
      assert.ok(
        duringFollowerRead.length > 5,
        `only ${duringFollowerRead.length} writes ran during the read`,
      );
      const slowest = Math.max(...duringFollowerRead);
      assert.ok(slowest < writeLatencyMaxMs, `a write took ${slowest} ms while a follower read`);

      const duringLeaderRead = await writeDuring(
        cluster.query(leader, slowQuery, [], { level: 'weak', timeoutMs: 60_000 }),
      );
      assert.ok(duringLeaderRead.length > 0);
      for (const node of cluster.serving()) {
        const status = await cluster.status(node);
        assert.equal(status?.term, termBefore, `node ${node.id} moved to term ${status?.term}: an election`);
        assert.equal(status?.leaderId, leader.id);
      }
    });
  });
});
