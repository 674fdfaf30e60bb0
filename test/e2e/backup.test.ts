// Backups, dumps, loads and boots against real dustd processes, checked with Debian's `sqlite3` shell:
// what Dust writes opens and replays in sqlite3, what sqlite3 writes loads into Dust unchanged, loads and
// boots survive a restart, and bad input leaves the old data as it was. Tests that need the `sqlite3`
// shell are skipped, saying so, when it is not installed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { DustdProcess } from './harness.js';

const cliMissing = (() => {
  const probe = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  return probe.status === 0
    ? false
    : 'the sqlite3 command-line shell is not installed (Debian: apt-get install sqlite3)';
})();

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs sqlite3 on `file` with `input` on stdin; returns its standard output. */
function sqlite3(file: string, input: string | Buffer): Buffer {
  const run = spawnSync('sqlite3', ['-bail', file], { input, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`sqlite3 failed: ${run.stderr.toString()}`);
  return run.stdout;
}

async function request(
  node: DustdProcess,
  method: string,
  pathAndQuery: string,
  body?: Buffer | string,
): Promise<{ status: number; bytes: Buffer; text: string; contentType: string }> {
  const response = await fetch(node.httpUrl + pathAndQuery, {
    method,
    ...(body === undefined ? {} : { body }),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    bytes,
    text: bytes.toString('utf8'),
    contentType: response.headers.get('content-type') ?? '',
  };
}

async function rowsOf(node: DustdProcess, sql: string): Promise<unknown> {
  const response = await node.get(`/db/query?q=${encodeURIComponent(sql)}`);
  const results = (response.json as { results: { values?: unknown[] }[] }).results;
  return results[0]?.values ?? [];
}

// Data with the awkward parts of a dump: quoting, line breaks, unicode, blobs, integer extremes,
// exactly representable reals, an index, a trigger, a view and AUTOINCREMENT.
const sampleStatements = [
  'CREATE TABLE people(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, score REAL, photo BLOB)',
  "INSERT INTO people(name, score, photo) VALUES('fiona', 0.5, x'00ff10'), ('it''s', -2.25, NULL)",
  "INSERT INTO people(name, score) VALUES('two' || char(10) || 'lines', 6.103515625e-05), ('héllo ☃', 1.0)",
  'CREATE TABLE "order"(n INTEGER, big INTEGER)',
  'INSERT INTO "order" VALUES (1, 9223372036854775807), (2, -9223372036854775808)',
  'CREATE INDEX people_name ON people(name)',
  'CREATE TRIGGER people_added AFTER INSERT ON people BEGIN INSERT INTO "order"(n) VALUES (new.id); END',
  'CREATE VIEW named AS SELECT name FROM people WHERE name IS NOT NULL',
];

void describe('backup and restore between Dust and sqlite3', () => {
  let work: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-backup-e2e-'));
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  void test(
    'a backup opens in sqlite3, and a dump replays into the same database',
    { skip: cliMissing },
    async () => {
      const node = await DustdProcess.start();
      try {
        const created = await node.post('/db/execute', sampleStatements);
        assert.equal(created.status, 200, created.text);
        assert.doesNotMatch(created.text, /error/);

        const binary = await request(node, 'GET', '/db/backup');
        assert.equal(binary.status, 200);
        assert.equal(binary.contentType, 'application/octet-stream');
        assert.deepEqual([...binary.bytes.subarray(18, 20)], [2, 2], 'the binary form is in WAL mode');
        const backupFile = path.join(work, 'backup.sqlite');
        fs.writeFileSync(backupFile, binary.bytes);
        assert.equal(
          sqlite3(backupFile, 'SELECT name FROM people ORDER BY id;').toString(),
          "fiona\nit's\ntwo\nlines\nhéllo ☃\n",
        );
        assert.equal(sqlite3(backupFile, 'PRAGMA integrity_check;').toString(), 'ok\n');

        const deleteForm = await request(node, 'GET', '/db/backup?fmt=delete&vacuum');
        assert.deepEqual(
          [...deleteForm.bytes.subarray(18, 20)],
          [1, 1],
          'fmt=delete is in rollback-journal mode',
        );
        const deleteFile = path.join(work, 'delete.sqlite');
        fs.writeFileSync(deleteFile, deleteForm.bytes);

        const dump = await request(node, 'GET', '/db/backup?fmt=sql');
        assert.equal(dump.contentType, 'application/sql');
        // Byte for byte what sqlite3 writes for the same database.
        const expectedDump = sqlite3(backupFile, '.dump\n');
        assert.equal(dump.text, expectedDump.toString());
        assert.ok(sqlite3(deleteFile, '.dump\n').equals(expectedDump));
        const replayed = path.join(work, 'replayed.sqlite');
        sqlite3(replayed, dump.bytes);
        assert.ok(sqlite3(replayed, '.dump\n').equals(expectedDump));

        const compressed = await request(node, 'GET', '/db/backup?fmt=sql&compress');
        assert.ok(gunzipSync(compressed.bytes).equals(dump.bytes));
        const someTables = await request(node, 'GET', '/db/backup?fmt=sql&tables=order');
        assert.match(someTables.text, /^INSERT INTO "order" VALUES\(1,9223372036854775807\);$/m);
        assert.doesNotMatch(someTables.text, /people/);
      } finally {
        await node.cleanup();
      }
    },
  );

  void test(
    'a database made by sqlite3 loads into Dust unchanged, as a file and as a dump, and survives a restart',
    { skip: cliMissing },
    async () => {
      const original = path.join(work, 'original.sqlite');
      sqlite3(
        original,
        `${sampleStatements.join(';\n')};\nCREATE TABLE notes(k TEXT PRIMARY KEY, v) WITHOUT ROWID;\n` +
          "INSERT INTO notes VALUES ('a', 0.1), ('b', 123456789.123);\n",
      );
      const originalDump = sqlite3(original, '.dump\n');

      for (const mode of ['disk', 'memory'] as const) {
        let node = await DustdProcess.start({ flags: mode === 'disk' ? ['-on-disk'] : [] });
        const dataDir = node.dataDir;
        try {
          const loaded = await request(node, 'POST', '/db/load', fs.readFileSync(original));
          assert.equal(loaded.status, 200, loaded.text);
          assert.equal(loaded.text, '{"results":[]}');
          const backupFile = path.join(work, `loaded-${mode}.sqlite`);
          fs.writeFileSync(backupFile, (await request(node, 'GET', '/db/backup')).bytes);
          assert.ok(sqlite3(backupFile, '.dump\n').equals(originalDump), `${mode}: file load`);

          // The load went through the log: a restart rebuilds the same database from it.
          assert.equal((await node.kill('SIGTERM')).code, 0);
          node = await DustdProcess.start({ flags: mode === 'disk' ? ['-on-disk'] : [], dataDir });
          fs.writeFileSync(backupFile, (await request(node, 'GET', '/db/backup')).bytes);
          assert.ok(sqlite3(backupFile, '.dump\n').equals(originalDump), `${mode}: after restart`);
        } finally {
          await node.cleanup();
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }

      // sqlite3's own dump, as SQL text, into an empty node.
      const node = await DustdProcess.start();
      try {
        const loaded = await request(node, 'POST', '/db/load', originalDump);
        assert.equal(loaded.status, 200, loaded.text);
        assert.doesNotMatch(loaded.text, /error/);
        const backupFile = path.join(work, 'from-dump.sqlite');
        fs.writeFileSync(backupFile, (await request(node, 'GET', '/db/backup')).bytes);
        assert.ok(sqlite3(backupFile, '.dump\n').equals(originalDump), 'SQL text load');
      } finally {
        await node.cleanup();
      }
    },
  );

  void test('bad input is refused with a clear error and leaves the old data intact', async () => {
    const node = await DustdProcess.start();
    try {
      await node.post('/db/execute', ['CREATE TABLE kept(v)', "INSERT INTO kept VALUES ('before')"]);
      const image = (await request(node, 'GET', '/db/backup')).bytes;
      const expectKept = async (what: string): Promise<void> => {
        assert.deepEqual(await rowsOf(node, 'SELECT v FROM kept'), [['before']], what);
        assert.deepEqual(
          await rowsOf(node, "SELECT count(*) FROM sqlite_schema WHERE name = 'partial'"),
          [[0]],
          what,
        );
      };

      const truncated = await request(node, 'POST', '/db/load', image.subarray(0, image.length - 4096));
      assert.equal(truncated.status, 400);
      assert.match(truncated.text, /^invalid SQLite data: the SQLite database is truncated/);
      await expectKept('truncated file');

      const garbage = await request(
        node,
        'POST',
        '/db/load',
        Buffer.from([0x53, 0x51, 0xff, 0xfe, 0x00, 0x01]),
      );
      assert.equal(garbage.status, 400);
      assert.match(garbage.text, /neither a SQLite database .* nor SQL text/);
      await expectKept('garbage');

      const damaged = Buffer.from(image);
      damaged.fill(0xff, 4096 + 8, 4096 + 100);
      const damagedLoad = await request(node, 'POST', '/db/load', damaged);
      assert.equal(damagedLoad.status, 200);
      assert.match(damagedLoad.text, /"error":"invalid SQLite data: .*malformed/);
      await expectKept('damaged file');

      const failingDump = [
        'BEGIN TRANSACTION;',
        'CREATE TABLE partial(a);',
        "INSERT INTO partial VALUES ('half');",
        "INSERT INTO kept VALUES ('added');",
        'INSERT INTO missing VALUES (1);',
        'COMMIT;',
      ].join('\n');
      const failed = await request(node, 'POST', '/db/load', failingDump);
      assert.equal(failed.status, 200);
      assert.equal(
        failed.text,
        '{"results":[{"error":"no such table: missing (at line 5 of the SQL text; nothing was loaded)"}]}',
      );
      await expectKept('failing dump');

      const notDatabase = await request(node, 'POST', '/boot', 'CREATE TABLE t(a);');
      assert.equal(notDatabase.status, 400);
      assert.match(notDatabase.text, /^invalid SQLite data: not a SQLite database/);
      const damagedBoot = await request(node, 'POST', '/boot', damaged);
      assert.equal(damagedBoot.status, 400);
      assert.match(damagedBoot.text, /^invalid SQLite data: /);
      await expectKept('boots');
      assert.deepEqual(fs.readdirSync(path.join(node.dataDir, 'backup-work')), [], 'no work files are left');

      // A client that goes away in the middle of a dump: its copy is removed and the node serves on.
      await node.post('/db/execute', [
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000) INSERT INTO kept SELECT 'row ' || i FROM c",
      ]);
      const abort = new AbortController();
      const partial = await fetch(`${node.httpUrl}/db/backup?fmt=sql`, { signal: abort.signal });
      const reader = partial.body!.getReader();
      assert.equal((await reader.read()).done, false);
      abort.abort();
      await reader.read().catch(() => undefined);
      const workDirectory = path.join(node.dataDir, 'backup-work');
      for (let attempt = 0; attempt < 100 && fs.readdirSync(workDirectory).length > 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(fs.readdirSync(workDirectory), [], 'the abandoned backup’s copy is removed');
      assert.deepEqual(await rowsOf(node, 'SELECT count(*) FROM kept'), [[50001]]);
    } finally {
      await node.cleanup();
    }
  });

  void test('a boot installs a file outside the log and is snapshotted, so a restart keeps it', async () => {
    const source = await DustdProcess.start();
    let image: Buffer;
    try {
      await source.post('/db/execute', [
        'CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT)',
        'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) INSERT INTO big(v) SELECT hex(randomblob(40)) FROM c',
      ]);
      image = (await request(source, 'GET', '/db/backup')).bytes;
    } finally {
      await source.cleanup();
    }
    let node = await DustdProcess.start({ flags: ['-on-disk'] });
    const dataDir = node.dataDir;
    try {
      await node.post('/db/execute', ['CREATE TABLE replaced(a)']);
      const booted = await request(node, 'POST', '/boot', image);
      assert.equal(booted.status, 200, booted.text);
      assert.deepEqual(await rowsOf(node, 'SELECT count(*) FROM big'), [[20000]]);
      assert.deepEqual(await rowsOf(node, "SELECT count(*) FROM sqlite_schema WHERE name = 'replaced'"), [
        [0],
      ]);
      await node.post('/db/execute', ["INSERT INTO big(v) VALUES ('after the boot')"]);

      assert.equal((await node.kill('SIGTERM')).code, 0);
      node = await DustdProcess.start({ flags: ['-on-disk'], dataDir });
      assert.deepEqual(await rowsOf(node, 'SELECT count(*) FROM big'), [[20001]]);

      const snapshot = await request(node, 'POST', '/snapshot');
      assert.equal(snapshot.status, 200);
      const again = await request(node, 'POST', '/snapshot');
      assert.equal(again.status, 204);
      const vars = await node.get('/debug/vars');
      assert.match(vars.text, /"user_snapshots": 2[,}]/);
    } finally {
      await node.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  void test('the shell commands of the documentation work as written', async () => {
    const node = await DustdProcess.start();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-backup-home-'));
    try {
      const port = new URL(node.httpUrl).port;
      const script = [
        'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);',
        "INSERT INTO t(name) VALUES('fiona');",
        '.backup backup.sqlite',
        '.dump dump.sql',
        '.snapshot',
        '.boot backup.sqlite',
        'SELECT name FROM t;',
        '',
      ].join('\n');
      const run = await runShell(['-p', port], script, home);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /Backup written to backup\.sqlite/);
      assert.match(run.stdout, /Dump written to dump\.sql/);
      assert.match(run.stdout, /Snapshot taken\./);
      assert.match(run.stdout, /Node booted successfully\./);
      assert.match(run.stdout, /\| fiona \|/);
      assert.match(
        fs.readFileSync(path.join(home, 'dump.sql'), 'utf8'),
        /^INSERT INTO t VALUES\(1,'fiona'\);$/m,
      );
    } finally {
      await node.cleanup();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

/** Runs bin/dust with `input` piped in, from `cwd` (also its HOME). */
function runShell(
  args: readonly string[],
  input: string,
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'dust'), ...args], {
      cwd,
      env: { ...process.env, HOME: cwd },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 30_000);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
