// A single dustd as a newcomer uses it: write, read, restart, stop.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { DustdProcess } from './harness.js';

for (const mode of ['memory', 'disk'] as const) {
  const flags = mode === 'disk' ? ['-on-disk'] : [];

  describe(`a single node (${mode})`, () => {
    it('keeps its data across a clean restart', async () => {
      let node = await DustdProcess.start({ flags });
      const dataDir = node.dataDir;
      try {
        const created = await node.post('/db/execute', [
          'CREATE TABLE students (id INTEGER NOT NULL PRIMARY KEY, name TEXT)',
          ['INSERT INTO students(name) VALUES(?)', 'fiona'],
          'INSERT INTO students(name) VALUES("ming")',
        ]);
        assert.equal(created.status, 200);
        assert.equal(
          created.text,
          '{"results":[{},{"last_insert_id":1,"rows_affected":1},{"last_insert_id":2,"rows_affected":1}]}',
        );
        if (mode === 'disk') assert.ok(existsSync(path.join(dataDir, 'db.sqlite')));

        const stopped = await node.kill('SIGTERM');
        assert.equal(stopped.code, 0, node.output);
        assert.match(node.output, /shutdown complete/);

        node = await DustdProcess.start({ flags, dataDir });
        const rows = await node.get(
          '/db/query?q=' + encodeURIComponent('SELECT * FROM students ORDER BY id'),
        );
        assert.equal(
          rows.text,
          '{"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"],[2,"ming"]]}]}',
        );
      } finally {
        await node.cleanup();
        const { rmSync } = await import('node:fs');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('finishes in-flight writes on SIGTERM and exits 0', async () => {
      const node = await DustdProcess.start({ flags });
      const dataDir = node.dataDir;
      try {
        await node.post('/db/execute', ['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)']);
        // Fire a burst of writes, signal while they are in flight, and record which were acknowledged.
        const writes = Array.from({ length: 50 }, (_, i) =>
          node.post('/db/execute', [['INSERT INTO t(id, v) VALUES(?, ?)', i, `v${i}`]]).then(
            (response) =>
              response.status === 200 && response.text.includes('"rows_affected":1') ? i : undefined,
            () => undefined,
          ),
        );
        setTimeout(() => process.kill(node.pid, 'SIGTERM'), 5);
        const acknowledged = (await Promise.all(writes)).filter((i): i is number => i !== undefined);
        const exit = await node.exited();
        assert.equal(exit.code, 0, node.output);

        const restarted = await DustdProcess.start({ flags, dataDir });
        try {
          const rows = await restarted.get('/db/query?q=' + encodeURIComponent('SELECT id FROM t'));
          const present = new Set(
            ((rows.json as { results: [{ values?: number[][] }] }).results[0].values ?? []).map((r) => r[0]),
          );
          for (const id of acknowledged) assert.ok(present.has(id), `acknowledged write ${id} is present`);
        } finally {
          await restarted.cleanup();
        }
      } finally {
        const { rmSync } = await import('node:fs');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('status and readiness', () => {
  it('answers /status with rqlite keys and /readyz with rqlite lines', async () => {
    const node = await DustdProcess.start();
    try {
      const status = (await node.get('/status')).json as { store: Record<string, unknown> };
      const store = status.store;
      assert.equal((store.raft as { state: string }).state, 'Leader');
      assert.equal(store.ready, true);
      assert.equal(typeof (store.sqlite3 as { path: string }).path, 'string');
      assert.equal(typeof (store.leader as { node_id: string }).node_id, 'string');
      const ready = await node.get('/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.text, '[+]node ok\n[+]leader ok\n[+]store ok\n[+]db ok');
    } finally {
      await node.cleanup();
    }
  });
});
