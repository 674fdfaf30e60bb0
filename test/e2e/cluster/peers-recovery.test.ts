// A cluster that lost its quorum for good comes back with peers.json, as in rqlite: of three nodes two are
// gone forever, so the survivor can commit nothing; it is stopped, given a peers.json that names only
// itself, and once restarted it leads a cluster of one that keeps every row and commits new writes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { judgeQuery, judgeWrite } from './api-results.js';
import { type Cluster, type ClusterNode, withCluster } from './cluster-harness.js';
import { describeOutcome } from './node-http.js';
import { pollUntil } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const recoveryTimeoutMs = 20_000;
const rowCount = 50;

describe(
  `a ${server} cluster recovered with peers.json`,
  { skip: skipReason ?? false, timeout: 120_000 },
  () => {
    async function countRows(cluster: Cluster, node: ClusterNode): Promise<unknown> {
      const verdict = judgeQuery(await cluster.query(node, 'SELECT COUNT(*) FROM t', [], { level: 'none' }));
      return verdict.kind === 'rows' ? verdict.rows[0]?.[0] : verdict.reason;
    }

    it('brings the survivor back as a cluster of one with all its data', async () => {
      // A low snapshot threshold, so that recovery starts from a snapshot plus a log tail.
      const options = { size: 3, server, flags: ['-raft-snap', '20', '-raft-snap-int', '200ms'] };
      await withCluster(options, async (cluster) => {
        const [survivor, ...lost] = cluster.nodes;
        assert.ok(survivor !== undefined);
        const leader = await cluster.leader();
        const created = await cluster.execute(leader, ['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)']);
        assert.equal(judgeWrite(created, 1).kind, 'ok', describeOutcome(created));
        for (let id = 1; id <= rowCount; id++) {
          const outcome = await cluster.execute(leader, [['INSERT INTO t VALUES (?, ?)', id, `row ${id}`]]);
          assert.equal(judgeWrite(outcome, 1).kind, 'ok', describeOutcome(outcome));
        }
        // The survivor has applied every row before the disaster, so they are all in its snapshot and log.
        await pollUntil(async () => ((await countRows(cluster, survivor)) === rowCount ? true : undefined), {
          timeoutMs: recoveryTimeoutMs,
          onTimeout: () => new Error(`node ${survivor.id} did not apply all ${rowCount} rows`),
        });

        for (const node of cluster.nodes) await cluster.kill(node, 'SIGKILL');
        const peers = [{ id: survivor.id, address: survivor.raftAddress, non_voter: false }];
        fs.writeFileSync(path.join(survivor.dataDir, 'raft', 'peers.json'), JSON.stringify(peers));
        await cluster.restart(survivor, { waitForCluster: false });
        assert.ok(
          lost.every((node) => !node.running),
          'the lost nodes stay down',
        );

        let lastSeen = '';
        const newLeader = await pollUntil(
          async () => {
            const statuses = await cluster.statuses([survivor]);
            lastSeen = JSON.stringify([...statuses]);
            const views = [...statuses.values()];
            const agreed = views.every(
              (status) =>
                status !== undefined &&
                status.memberIds.join(',') === survivor.id &&
                status.leaderId !== '' &&
                status.leaderId === views[0]?.leaderId,
            );
            return agreed && views[0]?.leaderId === survivor.id ? survivor : undefined;
          },
          {
            timeoutMs: recoveryTimeoutMs,
            onTimeout: () =>
              new Error(`the survivor did not become the leader of a cluster of one: ${lastSeen}`),
          },
        );
        assert.ok(newLeader !== undefined);

        const written = await cluster.execute(newLeader, [
          ['INSERT INTO t VALUES (?, ?)', rowCount + 1, 'after'],
        ]);
        assert.equal(judgeWrite(written, 1).kind, 'ok', describeOutcome(written));
        for (const node of [survivor]) {
          await pollUntil(
            async () => ((await countRows(cluster, node)) === rowCount + 1 ? true : undefined),
            {
              timeoutMs: recoveryTimeoutMs,
              onTimeout: () => new Error(`node ${node.id} does not hold every row after the recovery`),
            },
          );
          if (server === 'dustd') {
            const raftDirectory = path.join(node.dataDir, 'raft');
            assert.ok(
              fs.existsSync(path.join(raftDirectory, 'peers.info')),
              'peers.json was renamed peers.info',
            );
            assert.ok(!fs.existsSync(path.join(raftDirectory, 'peers.json')), 'peers.json is gone');
          }
        }
      });
    });
  },
);
