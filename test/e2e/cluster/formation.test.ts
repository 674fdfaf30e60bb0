// Three nodes form a cluster as an operator starts them (-join), replicate writes to every node, forward
// a follower's writes and reads to the leader, redirect when asked to, and describe themselves in /nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { judgeQuery, judgeWrite } from './api-results.js';
import { Cluster, type ClusterNode } from './cluster-harness.js';
import { describeOutcome, jsonAt, jsonNumber, jsonString } from './node-http.js';
import { pollUntil } from './polling.js';
import { clusterSkipReason, serverFromEnvironment } from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const replicationTimeoutMs = 10_000;

describe(`a three-node ${server} cluster`, { skip: skipReason ?? false, timeout: 120_000 }, () => {
  let cluster: Cluster | undefined;
  const started = (): Cluster => {
    assert.ok(cluster !== undefined, 'the cluster started');
    return cluster;
  };

  before(async () => {
    cluster = await Cluster.start({ size: 3, server });
    const outcome = await cluster.execute(await cluster.leader(), [
      'CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)',
    ]);
    assert.equal(judgeWrite(outcome, 1).kind, 'ok', describeOutcome(outcome));
  });

  after(async () => {
    await cluster?.cleanup();
  });

  async function insert(node: ClusterNode, id: number, query?: string): Promise<void> {
    const outcome = await started().execute(
      node,
      [['INSERT INTO items(id, v) VALUES(?, ?)', id, `value-${id}`]],
      {
        ...(query === undefined ? {} : { query }),
      },
    );
    const verdict = judgeWrite(outcome, 1);
    assert.deepEqual(
      verdict,
      { kind: 'ok', rowsAffected: [1] },
      `insert ${id} on node ${node.id}: ${describeOutcome(outcome)}`,
    );
  }

  async function rowsOf(node: ClusterNode, id: number, level: 'none' | 'weak' | 'strong'): Promise<unknown> {
    const outcome = await started().query(node, 'SELECT id, v FROM items WHERE id = ?', [id], { level });
    const verdict = judgeQuery(outcome);
    assert.equal(
      verdict.kind,
      'rows',
      `read of ${id} on node ${node.id} (${level}): ${describeOutcome(outcome)}`,
    );
    return verdict.kind === 'rows' ? verdict.rows : undefined;
  }

  /** Polls a node's local copy (level=none) until the row is there. */
  async function waitForRowOn(node: ClusterNode, id: number): Promise<void> {
    let lastRows: unknown;
    await pollUntil(
      async () => {
        lastRows = await rowsOf(node, id, 'none');
        return Array.isArray(lastRows) && lastRows.length === 1 ? true : undefined;
      },
      {
        timeoutMs: replicationTimeoutMs,
        intervalMs: 50,
        onTimeout: () =>
          new Error(
            `row ${id} did not reach node ${node.id} within ${replicationTimeoutMs} ms; last read ${JSON.stringify(lastRows)}`,
          ),
      },
    );
    assert.deepEqual(await rowsOf(node, id, 'none'), [[id, `value-${id}`]]);
  }

  it('replicates a write made on the leader to every node', async () => {
    const cluster = started();
    await cluster.explainFailures(async () => {
      await insert(await cluster.leader(), 1);
      for (const node of cluster.nodes) await waitForRowOn(node, 1);
    });
  });

  it('forwards a write and a read sent to a follower to the leader', async () => {
    const cluster = started();
    await cluster.explainFailures(async () => {
      const leader = await cluster.leader();
      const follower = (await cluster.followers())[0];
      assert.ok(follower !== undefined && follower !== leader);
      await insert(follower, 2);
      // The leader acknowledged the write through the follower, so a leader read sees it at once, and a
      // weak read on the follower, which is forwarded to the leader, sees it too.
      assert.deepEqual(await rowsOf(leader, 2, 'weak'), [[2, 'value-2']]);
      assert.deepEqual(await rowsOf(follower, 2, 'weak'), [[2, 'value-2']]);
      for (const node of cluster.nodes) await waitForRowOn(node, 2);
    });
  });

  it("answers a follower's redirect request with 301 and the leader's address, without executing it", async () => {
    const cluster = started();
    await cluster.explainFailures(async () => {
      const leader = await cluster.leader();
      const follower = (await cluster.followers())[0];
      assert.ok(follower !== undefined);

      const write = await cluster.execute(
        follower,
        [['INSERT INTO items(id, v) VALUES(?, ?)', 3, 'value-3']],
        {
          query: 'redirect',
        },
      );
      assert.equal(write.kind, 'answered', describeOutcome(write));
      if (write.kind !== 'answered') return;
      assert.equal(write.status, 301, describeOutcome(write));
      const location = new URL(String(write.headers.location));
      assert.equal(location.origin, leader.apiUrl, `Location ${String(write.headers.location)}`);
      assert.equal(location.pathname, '/db/execute');
      assert.ok(location.searchParams.has('redirect'), 'the query string is kept');
      assert.deepEqual(await rowsOf(leader, 3, 'strong'), [], 'a redirected write is not executed');

      const sql = encodeURIComponent('SELECT COUNT(*) FROM items');
      const read = await cluster.get(follower, `/db/query?q=${sql}&redirect`);
      assert.equal(read.kind === 'answered' ? read.status : undefined, 301, describeOutcome(read));
      if (read.kind !== 'answered') return;
      const readLocation = new URL(String(read.headers.location));
      assert.equal(readLocation.origin, leader.apiUrl);
      assert.equal(readLocation.pathname, '/db/query');
      assert.equal(readLocation.searchParams.get('q'), 'SELECT COUNT(*) FROM items');

      // The leader itself has nowhere to redirect to: it executes the write.
      await insert(leader, 4, 'redirect');
    });
  });

  it('lists three reachable nodes and exactly one leader in /nodes', async () => {
    const cluster = started();
    await cluster.explainFailures(async () => {
      const leader = await cluster.leader();
      for (const asked of cluster.nodes) {
        const outcome = await cluster.get(asked, '/nodes?ver=2');
        assert.equal(outcome.kind === 'answered' ? outcome.status : undefined, 200, describeOutcome(outcome));
        const listed = jsonAt(outcome.kind === 'answered' ? outcome.json : undefined, 'nodes');
        assert.ok(
          Array.isArray(listed),
          `node ${asked.id}: /nodes?ver=2 has a nodes array: ${describeOutcome(outcome)}`,
        );
        const described = listed.map((entry) => ({
          id: jsonAt(entry, 'id'),
          addr: jsonAt(entry, 'addr'),
          api_addr: jsonAt(entry, 'api_addr'),
          voter: jsonAt(entry, 'voter'),
          reachable: jsonAt(entry, 'reachable'),
          leader: jsonAt(entry, 'leader'),
        }));
        assert.deepEqual(
          described,
          cluster.nodes.map((node) => ({
            id: node.id,
            addr: node.raftAddress,
            api_addr: node.apiUrl,
            voter: true,
            reachable: true,
            leader: node === leader,
          })),
          `node ${asked.id}: /nodes?ver=2 is ${describeOutcome(outcome)}`,
        );

        // The older form is an object keyed by node ID with the same entries.
        const legacy = await cluster.get(asked, '/nodes');
        const byId = legacy.kind === 'answered' ? legacy.json : undefined;
        for (const node of cluster.nodes) {
          assert.equal(
            jsonAt(byId, node.id, 'leader'),
            node === leader,
            `node ${asked.id}: legacy /nodes: ${describeOutcome(legacy)}`,
          );
          assert.equal(jsonAt(byId, node.id, 'addr'), node.raftAddress);
        }
      }
    });
  });

  it('describes the cluster in /status and counts forwarded requests in /debug/vars', async () => {
    const cluster = started();
    await cluster.explainFailures(async () => {
      const leader = await cluster.leader();
      const follower = cluster.nodes.find((node) => node !== leader);
      assert.ok(follower !== undefined);
      const varsOf = async (node: ClusterNode): Promise<unknown> => {
        const outcome = await cluster.get(node, '/debug/vars');
        assert.equal(outcome.kind === 'answered' ? outcome.status : undefined, 200, describeOutcome(outcome));
        return outcome.kind === 'answered' ? outcome.json : undefined;
      };
      const executesBefore = jsonNumber(await varsOf(leader), 'cluster', 'num_execute_req');
      assert.equal(typeof executesBefore, 'number', 'the leader counts execute requests from other nodes');
      await insert(follower, 900);
      const executesAfter = jsonNumber(await varsOf(leader), 'cluster', 'num_execute_req');
      assert.equal(executesAfter, (executesBefore ?? 0) + 1, "the follower's write reached the leader once");

      for (const node of cluster.nodes) {
        const outcome = await cluster.get(node, '/status');
        const status = outcome.kind === 'answered' ? outcome.json : undefined;
        assert.equal(jsonString(status, 'cluster', 'addr'), node.raftAddress, describeOutcome(outcome));
        assert.equal(jsonString(status, 'cluster', 'api_addr'), node.httpAddress);
        const configuration = jsonString(status, 'store', 'raft', 'latest_configuration') ?? '';
        for (const member of cluster.nodes) {
          assert.ok(
            configuration.includes(`{Suffrage:Voter ID:${member.id} Address:${member.raftAddress}}`),
            `node ${node.id} lists member ${member.id} in ${configuration}`,
          );
        }
        // The leader has no one to hear from; a follower heard from its leader moments ago.
        const lastContact = jsonAt(status, 'store', 'raft', 'last_contact');
        if (node === leader) assert.equal(lastContact, 0);
        else
          assert.match(
            String(lastContact),
            /^[0-9.]+(ns|µs|us|ms|s)$/,
            `node ${node.id}: ${String(lastContact)}`,
          );
      }
    });
  });
});
