// Backups across clusters: a binary backup and a SQL dump taken from a FOLLOWER of one three-node cluster
// (which passes the request to its leader) are loaded, each through a follower, into a new three-node
// cluster, and every node of the new cluster then holds exactly the rows of the old one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeWrite } from './cluster/api-results.js';
import { withCluster } from './cluster/cluster-harness.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import { describeOutcome } from './cluster/node-http.js';
import { pollUntil } from './cluster/polling.js';
import { clusterSkipReason } from './cluster/server-binary.js';

const skipReason = await clusterSkipReason('dustd');
const rowCount = 500;
const convergeMs = 20_000;

async function rowsOn(node: ClusterNode, table: string): Promise<string | undefined> {
  const response = await fetch(`${node.apiUrl}/db/query?level=none`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([`SELECT id, v FROM ${table} ORDER BY id`]),
  });
  const body = (await response.json()) as { results?: { values?: unknown[] }[] };
  const values = body.results?.[0]?.values;
  return values === undefined ? undefined : JSON.stringify(values);
}

async function post(node: ClusterNode, path: string, body: Uint8Array, type: string): Promise<string> {
  const response = await fetch(`${node.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': type },
    body,
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${path} on node ${node.id}: ${text}`);
  assert.doesNotMatch(text, /"error"/, `${path} on node ${node.id}: ${text}`);
  return text;
}

describe('backups between dustd clusters', { skip: skipReason ?? false, timeout: 180_000 }, () => {
  it('a backup and a dump taken from a follower load into a new cluster, onto every node', async () => {
    let binary = new Uint8Array();
    let dump = new Uint8Array();
    let expected = '';
    await withCluster({ size: 3, server: 'dustd' }, async (cluster) => {
      const leader = await cluster.leader();
      const statements: unknown[] = ['CREATE TABLE kept (id INTEGER PRIMARY KEY, v TEXT)'];
      for (let id = 1; id <= rowCount; id++)
        statements.push(['INSERT INTO kept(id, v) VALUES(?, ?)', id, `row ${id}`]);
      const written = await cluster.execute(leader, statements, { query: 'transaction' });
      assert.equal(judgeWrite(written, statements.length).kind, 'ok', describeOutcome(written));
      const [follower] = await cluster.followers();
      assert.ok(follower !== undefined);
      expected = (await rowsOn(leader, 'kept')) ?? '';
      assert.equal((JSON.parse(expected) as unknown[]).length, rowCount);
      const backup = await fetch(`${follower.apiUrl}/db/backup`);
      assert.equal(backup.status, 200);
      binary = new Uint8Array(await backup.arrayBuffer());
      assert.equal(new TextDecoder().decode(binary.subarray(0, 15)), 'SQLite format 3');
      const sql = await fetch(`${follower.apiUrl}/db/backup?fmt=sql`);
      assert.equal(sql.status, 200);
      dump = new Uint8Array(await sql.arrayBuffer());
      assert.match(new TextDecoder().decode(dump), /INSERT INTO kept VALUES\(500,'row 500'\);/);
    });

    await withCluster({ size: 3, server: 'dustd' }, async (cluster) => {
      const followers = await cluster.followers();
      const [first, second] = followers;
      assert.ok(first !== undefined && second !== undefined);
      await post(first, '/db/load', binary, 'application/octet-stream');
      // The dump goes in under another name, so both loads can be checked on the same nodes.
      const renamed = new TextDecoder().decode(dump).replaceAll('kept', 'dumped');
      await post(second, '/db/load', new TextEncoder().encode(renamed), 'text/plain');
      for (const node of cluster.serving()) {
        for (const table of ['kept', 'dumped']) {
          await pollUntil(async () => ((await rowsOn(node, table)) === expected ? true : undefined), {
            timeoutMs: convergeMs,
            onTimeout: () => new Error(`node ${node.id} does not hold the loaded rows of ${table}`),
          });
        }
      }
    });
  });
});
