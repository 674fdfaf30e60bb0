// The shell's cluster commands against a real three-node cluster: `.stepdown` hands leadership to another
// node, `.nodes` lists the members, and `.remove` takes one out of the configuration.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';

import { makeTempDir, runShell, shellEnvironment } from '../cli/support/processes.js';
import { withCluster } from './cluster/cluster-harness.js';
import { pollUntil } from './cluster/polling.js';
import { clusterSkipReason } from './cluster/server-binary.js';

const skipReason = await clusterSkipReason('dustd');

describe('the dust shell on a dustd cluster', { skip: skipReason ?? false, timeout: 120_000 }, () => {
  it('steps the leader down, lists the nodes, and removes one', async () => {
    const home = makeTempDir('shell-cluster');
    after(() => fs.rmSync(home, { recursive: true, force: true }));
    await withCluster({ size: 3, server: 'dustd' }, async (cluster) => {
      const leader = await cluster.leader();
      const shell = (node: typeof leader, input: string): ReturnType<typeof runShell> =>
        runShell(['-H', node.httpAddress.split(':')[0] ?? '', '-p', node.httpAddress.split(':')[1] ?? ''], {
          input,
          env: shellEnvironment(home),
        });

      const nodes = await shell(leader, '.nodes\n');
      assert.equal(nodes.status, 0, nodes.stderr);
      for (const node of cluster.serving()) assert.match(nodes.stdout, new RegExp(`\\b${node.id}:`));

      const stepdown = await shell(leader, '.stepdown\n');
      assert.equal(stepdown.status, 0, `${stepdown.stdout}${stepdown.stderr}`);
      const next = await pollUntil(
        async () => {
          const status = await cluster.status(leader);
          return status !== undefined && status.leaderId !== '' && status.leaderId !== leader.id
            ? status.leaderId
            : undefined;
        },
        { timeoutMs: 15_000, onTimeout: () => new Error(`node ${leader.id} is still the leader`) },
      );

      const gone = cluster.serving().find((node) => node.id !== next);
      assert.ok(gone !== undefined);
      const removed = await shell(cluster.node(next), `.remove ${gone.id}\n`);
      assert.equal(removed.status, 0, `${removed.stdout}${removed.stderr}`);
      await pollUntil(
        async () => {
          const status = await cluster.status(cluster.node(next));
          return status !== undefined && !status.memberIds.includes(gone.id) ? true : undefined;
        },
        { timeoutMs: 15_000, onTimeout: () => new Error(`node ${gone.id} is still a member`) },
      );
      const unknown = await shell(cluster.node(next), '.remove no-such-node\n');
      assert.notEqual(unknown.status, 0);
      assert.match(`${unknown.stdout}${unknown.stderr}`, /no-such-node/);
    });
  });
});
