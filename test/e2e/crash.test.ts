// SIGKILL a node while clients write, restart it, and check that every acknowledged write is there and
// that nothing appears that no client sent. Snapshots are forced often, so kills land before, during
// and after snapshots and log compaction.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';

import { DustdProcess, sleep } from './harness.js';

const cycles = 3;
const writers = 8;

interface Outcome {
  readonly attempted: Set<number>;
  readonly acknowledged: Set<number>;
}

async function writeUntilKilled(node: DustdProcess, firstId: number, killAfterMs: number): Promise<Outcome> {
  const attempted = new Set<number>();
  const acknowledged = new Set<number>();
  let nextId = firstId;
  let killed = false;
  const deadline = Date.now() + killAfterMs + 5_000;
  const writer = async (): Promise<void> => {
    // Bounded twice: by the kill (requests start failing) and by a deadline.
    while (!killed && Date.now() < deadline) {
      const id = nextId++;
      attempted.add(id);
      try {
        const response = await node.post('/db/execute', [
          ['INSERT INTO acked(id, v) VALUES(?, ?)', id, `value-${id}`],
        ]);
        if (
          response.status === 200 &&
          response.text === `{"results":[{"last_insert_id":${id},"rows_affected":1}]}`
        ) {
          acknowledged.add(id);
        }
      } catch {
        return; // The connection broke: the node is gone.
      }
    }
  };
  const running = Array.from({ length: writers }, writer);
  await sleep(killAfterMs);
  process.kill(node.pid, 'SIGKILL');
  killed = true;
  await node.exited();
  await Promise.all(running);
  return { attempted, acknowledged };
}

for (const mode of ['memory', 'disk'] as const) {
  describe(`SIGKILL under load (${mode})`, () => {
    it(`loses no acknowledged write over ${cycles} kill/restart cycles`, async () => {
      const flags = ['-raft-snap', '40', '-raft-snap-int', '100ms', ...(mode === 'disk' ? ['-on-disk'] : [])];
      let node = await DustdProcess.start({ flags });
      const dataDir = node.dataDir;
      const attempted = new Set<number>();
      const acknowledged = new Set<number>();
      let snapshotsSeen = 0;
      try {
        await node.post('/db/execute', ['CREATE TABLE acked (id INTEGER PRIMARY KEY, v TEXT NOT NULL)']);
        for (let cycle = 0; cycle < cycles; cycle++) {
          const outcome = await writeUntilKilled(node, cycle * 1_000_000 + 1, 400 + cycle * 300);
          outcome.attempted.forEach((id) => attempted.add(id));
          outcome.acknowledged.forEach((id) => acknowledged.add(id));
          assert.ok(
            outcome.acknowledged.size > 0,
            `cycle ${cycle}: some writes were acknowledged before the kill`,
          );

          node = await DustdProcess.start({ flags, dataDir });
          const response = await node.get(
            '/db/query?q=' + encodeURIComponent('SELECT id, v FROM acked ORDER BY id'),
          );
          const rows =
            (response.json as { results: [{ values?: [number, string][] }] }).results[0].values ?? [];
          const present = new Set(rows.map(([id]) => id));
          for (const id of acknowledged)
            assert.ok(present.has(id), `cycle ${cycle}: acknowledged write ${id} survived`);
          for (const [id, v] of rows) {
            assert.ok(attempted.has(id), `cycle ${cycle}: row ${id} was written by a client`);
            assert.equal(v, `value-${id}`);
          }
          const status = (await node.get('/status')).json as {
            store: { raft: { last_snapshot_index: number } };
          };
          if (status.store.raft.last_snapshot_index > 0) snapshotsSeen++;
        }
        assert.ok(snapshotsSeen > 0, 'restarts began from a snapshot at least once');
      } finally {
        await node.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
