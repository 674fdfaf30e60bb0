// /db/backup, /db/load, /boot and /snapshot over a BackupStore that records what it is asked: formats,
// streaming, compression, the split of SQL text into one all-or-nothing command, error statuses, limits.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';

import type { StatementsCommand } from '../../src/command/types.js';
import { createApiServer, type ApiServer } from '../../src/http/server.js';
import {
  BackupError,
  NotLeaderError,
  NotReadyError,
  StoreError,
  type BackupOptions,
  type BackupStore,
  type BackupStream,
  type OperationOptions,
  type StatementsResponse,
} from '../../src/http/store.js';
import { FakeMembership, FakeSql, FakeStatus, FakeStore, failed, send, write } from './fake-node.js';

const sqliteHeader = Buffer.from('SQLite format 3\u0000', 'latin1');

/** Records every call; each answer is what the test sets. */
class RecordingBackupStore implements BackupStore {
  backups: BackupOptions[] = [];
  loads: Uint8Array[] = [];
  boots: { bytes: Buffer; bytesMax: number }[] = [];
  snapshots: number[] = [];
  closed = 0;
  backupAnswer: (options: BackupOptions) => Promise<BackupStream> = () =>
    Promise.resolve(this.streamOf([Buffer.from('chunk one;'), Buffer.from('chunk two;')]));
  loadAnswer: () => Promise<StatementsResponse> = () => Promise.resolve({ results: [], raftIndex: 7 });
  bootAnswer: (bytes: Buffer) => Promise<void> = () => Promise.resolve();
  snapshotAnswer: () => Promise<boolean> = () => Promise.resolve(true);

  /** Forgets the calls and restores the default answers. */
  reset(): void {
    const fresh = new RecordingBackupStore();
    this.backups = [];
    this.loads = [];
    this.boots = [];
    this.snapshots = [];
    this.closed = 0;
    this.backupAnswer = () =>
      Promise.resolve(this.streamOf([Buffer.from('chunk one;'), Buffer.from('chunk two;')]));
    this.loadAnswer = fresh.loadAnswer;
    this.bootAnswer = fresh.bootAnswer;
    this.snapshotAnswer = fresh.snapshotAnswer;
  }

  streamOf(chunks: readonly Buffer[]): BackupStream {
    return { bytes: Readable.from(chunks), close: () => Promise.resolve(void this.closed++) };
  }

  backup(options: BackupOptions): Promise<BackupStream> {
    this.backups.push(options);
    return this.backupAnswer(options);
  }

  load(image: Uint8Array, _options: OperationOptions): Promise<StatementsResponse> {
    this.loads.push(image);
    return this.loadAnswer();
  }

  async boot(body: AsyncIterable<Uint8Array>, options: { bytesMax: number }): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    this.boots.push({ bytes, bytesMax: options.bytesMax });
    return this.bootAnswer(bytes);
  }

  snapshot(options: { trailingLogs: number }): Promise<boolean> {
    this.snapshots.push(options.trailingLogs);
    return this.snapshotAnswer();
  }
}

void describe('backup, load, boot and snapshot endpoints', () => {
  let api: ApiServer;
  let port: number;
  let store: FakeStore;
  let backup: RecordingBackupStore;
  let sql: FakeSql;
  const internalErrors: unknown[] = [];

  before(async () => {
    store = new FakeStore();
    backup = new RecordingBackupStore();
    sql = new FakeSql();
    api = createApiServer(
      {
        store,
        status: new FakeStatus(),
        membership: new FakeMembership(),
        sql,
        random: { int64: () => 42n, bytes: (count) => new Uint8Array(count).fill(7) },
        backup,
        onInternalError: (error) => internalErrors.push(error),
      },
      { version: 'v0.1.0', advertisedAddress: '127.0.0.1:4001', bodyBytesMax: 4096, bootBytesMax: 1 << 20 },
    );
    port = (await api.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await api.close();
  });

  beforeEach(() => {
    backup.reset();
    store.calls.length = 0;
    sql.rewritten.length = 0;
    internalErrors.length = 0;
  });

  void test('GET /db/backup streams the store’s bytes with the content type of the format', async () => {
    const binary = await send(port, 'GET', '/db/backup');
    assert.equal(binary.status, 200);
    assert.equal(binary.header('content-type'), 'application/octet-stream');
    assert.equal(binary.header('transfer-encoding'), 'chunked');
    assert.equal(binary.header('content-length'), undefined);
    assert.equal(binary.header('x-rqlite-served-by'), '127.0.0.1:4001');
    assert.equal(binary.text(), 'chunk one;chunk two;');
    assert.deepEqual(
      { ...backup.backups[0], signal: undefined },
      { format: 'binary', tables: [], vacuum: false, noLeader: false, signal: undefined },
    );

    const sql = await send(port, 'GET', '/db/backup?fmt=sql&tables=a,%20b,,c&noleader');
    assert.equal(sql.header('content-type'), 'application/sql');
    assert.deepEqual(backup.backups[1]?.tables, ['a', 'b', 'c']);
    assert.equal(backup.backups[1]?.noLeader, true);

    const deleteMode = await send(port, 'GET', '/db/backup?fmt=delete&vacuum');
    assert.equal(deleteMode.status, 200);
    assert.equal(backup.backups[2]?.format, 'delete');
    assert.equal(backup.backups[2]?.vacuum, true);

    const compressed = await send(port, 'GET', '/db/backup?compress');
    assert.equal(gunzipSync(compressed.body).toString(), 'chunk one;chunk two;');
    assert.equal(backup.closed, 4, 'every backup stream is closed');
  });

  void test('GET /db/backup refuses what it cannot do, before asking the store', async () => {
    const cases: [string, number, RegExp][] = [
      ['/db/backup?fmt=csv', 400, /invalid backup format "csv": use binary, delete or sql/],
      ['/db/backup?fmt=sql&vacuum', 400, /vacuum applies to binary backups only/],
      ['/db/backup?tables=a', 400, /tables applies to SQL dumps only/],
    ];
    for (const [path, status, message] of cases) {
      const response = await send(port, 'GET', path);
      assert.equal(response.status, status, path);
      assert.match(response.text(), message);
    }
    assert.equal((await send(port, 'POST', '/db/backup')).status, 405);
    assert.equal(backup.backups.length, 0);
  });

  void test('GET /db/backup answers the store’s refusals with their statuses', async () => {
    backup.backupAnswer = () => Promise.reject(new NotLeaderError({ apiUrl: 'http://10.0.0.9:4001' }));
    const redirected = await send(port, 'GET', '/db/backup?fmt=sql&redirect');
    assert.equal(redirected.status, 301);
    assert.equal(redirected.header('location'), 'http://10.0.0.9:4001/db/backup?fmt=sql&redirect');

    // Without redirect the backup is fetched from the leader's API and relayed, without `compress`
    // (this node compresses what it relays).
    const asked: string[] = [];
    let leaderStatus = 200;
    const leader = http.createServer((request, response) => {
      asked.push(request.url ?? '');
      response.statusCode = leaderStatus;
      response.end(leaderStatus === 200 ? 'the leader’s bytes' : 'leader failure');
    });
    await new Promise<void>((resolve) => leader.listen(0, '127.0.0.1', resolve));
    try {
      const leaderUrl = `http://127.0.0.1:${(leader.address() as AddressInfo).port}`;
      backup.backupAnswer = () => Promise.reject(new NotLeaderError({ apiUrl: leaderUrl }));
      const relayed = await send(port, 'GET', '/db/backup?fmt=sql&compress');
      assert.equal(relayed.status, 200);
      assert.equal(gunzipSync(relayed.body).toString(), 'the leader’s bytes');
      assert.deepEqual(asked, ['/db/backup?fmt=sql']);
      leaderStatus = 500;
      const failed = await send(port, 'GET', '/db/backup');
      assert.equal(failed.status, 500);
      assert.match(failed.text(), /answered 500: leader failure/);
    } finally {
      await new Promise<void>((resolve) => leader.close(() => resolve()));
    }
    backup.backupAnswer = () => Promise.reject(new NotLeaderError({}));
    assert.equal((await send(port, 'GET', '/db/backup')).status, 503, 'no leader address known');

    backup.backupAnswer = () => Promise.reject(new BackupError('busy', 'too many backups'));
    assert.equal((await send(port, 'GET', '/db/backup')).status, 503);
    backup.backupAnswer = () => Promise.reject(new NotReadyError());
    assert.equal((await send(port, 'GET', '/db/backup')).status, 503);
  });

  void test('a backup that fails while streaming ends the connection early instead of looking complete', async () => {
    backup.backupAnswer = () =>
      Promise.resolve({
        bytes: Readable.from(
          (async function* () {
            yield Buffer.from('first part');
            await new Promise((resolve) => setTimeout(resolve, 10));
            throw new Error('disk went away');
          })(),
        ),
        close: () => Promise.resolve(void backup.closed++),
      });
    await assert.rejects(send(port, 'GET', '/db/backup'), /aborted|socket hang up|ECONNRESET/);
    assert.equal(backup.closed, 1);
    // The failure is reported (logged by the node), not mistaken for a client that went away.
    assert.match(String(internalErrors[0]), /disk went away/);
  });

  void test('POST /db/load sends a SQLite file, whatever its content type, to the store', async () => {
    const image = Buffer.concat([sqliteHeader, Buffer.alloc(200, 1)]);
    const response = await send(port, 'POST', '/db/load?raft_index', image, { 'Content-Type': 'text/plain' });
    assert.equal(response.status, 200);
    assert.equal(response.text(), '{"results":[],"raft_index":7}');
    assert.ok(Buffer.from(backup.loads[0]!).equals(image));
    assert.equal(store.calls.length, 0);

    backup.loadAnswer = () =>
      Promise.reject(new BackupError('invalid_data', 'invalid SQLite data: truncated'));
    const refused = await send(port, 'POST', '/db/load', image);
    assert.equal(refused.status, 400);
    assert.equal(refused.text(), 'invalid SQLite data: truncated\n');

    backup.loadAnswer = () => Promise.reject(new StoreError('failed', 'cannot restore the database image'));
    const failedLoad = await send(port, 'POST', '/db/load', image);
    assert.equal(failedLoad.status, 200);
    assert.equal(failedLoad.text(), '{"results":[],"error":"cannot restore the database image"}');
  });

  void test('POST /db/load runs SQL text as one transaction, without the text’s own BEGIN and COMMIT', async () => {
    store.responder = (call) => ({
      results: call.statements.map((_statement, index) => write(BigInt(index), 1n)),
    });
    const dump = [
      'PRAGMA foreign_keys=OFF;',
      'BEGIN TRANSACTION;',
      'CREATE TABLE t(a);',
      "INSERT INTO t VALUES('x;y');",
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END;',
      'COMMIT;',
      '',
    ].join('\n');
    const response = await send(port, 'POST', '/db/load', dump, {
      'Content-Type': 'application/octet-stream',
    });
    assert.equal(response.status, 200);
    assert.equal(response.text(), '{"results":[{"last_insert_id":4,"rows_affected":1}]}');
    const command = store.calls[0]?.command as StatementsCommand;
    assert.equal(command.transaction, true);
    assert.equal(command.mode, 'execute');
    assert.deepEqual(
      command.statements.map((statement) => statement.sql),
      [
        'PRAGMA defer_foreign_keys=ON',
        'PRAGMA foreign_keys=OFF',
        'CREATE TABLE t(a)',
        "INSERT INTO t VALUES('x;y')",
        'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END',
      ],
    );
  });

  void test('POST /db/load names the line of a failing statement and says nothing was loaded', async () => {
    store.responder = () => ({ results: [write(0n, 0n), write(0n, 0n), failed('no such table: nope')] });
    const response = await send(
      port,
      'POST',
      '/db/load',
      'CREATE TABLE a(x);\n\nINSERT INTO nope VALUES(1);\n',
    );
    assert.equal(
      response.text(),
      '{"results":[{"error":"no such table: nope (at line 3 of the SQL text; nothing was loaded)"}]}',
    );
  });

  void test('POST /db/load refuses what cannot be loaded all or nothing', async () => {
    const rollback = await send(
      port,
      'POST',
      '/db/load',
      'BEGIN;\nCREATE TABLE t(a);\nROLLBACK; -- due to errors\n',
    );
    assert.equal(rollback.status, 400);
    assert.match(rollback.text(), /has a ROLLBACK at line 3/);

    const savepoint = await send(port, 'POST', '/db/load', 'SAVEPOINT s; CREATE TABLE t(a); ROLLBACK TO s;');
    assert.equal(savepoint.status, 200);

    const binaryGarbage = await send(port, 'POST', '/db/load', Buffer.from([0xff, 0xfe, 0x00, 0x80]));
    assert.equal(binaryGarbage.status, 400);
    assert.match(binaryGarbage.text(), /neither a SQLite database .* nor SQL text in UTF-8/);

    const pragma = await send(port, 'POST', '/db/load', 'CREATE TABLE t(a); PRAGMA journal_mode=DELETE;');
    assert.equal(pragma.text(), '{"results":[],"error":"disallowed pragma"}');

    const tooLarge = await send(port, 'POST', '/db/load', 'x'.repeat(5000));
    assert.equal(tooLarge.status, 413);
    assert.equal(store.calls.length, 1, 'only the savepoint script reached the store');

    const empty = await send(port, 'POST', '/db/load', '-- nothing\n;;\n');
    assert.equal(empty.text(), '{"results":[]}');
  });

  void test('POST /db/load makes random values and the clock deterministic before logging', async () => {
    await send(
      port,
      'POST',
      '/db/load',
      "INSERT INTO t VALUES(RANDOM(), datetime('now'));\nINSERT INTO t VALUES(1);",
    );
    const command = store.calls[0]?.command as StatementsCommand;
    assert.equal(command.statements[1]?.sql, "INSERT INTO t VALUES(42, datetime('now'))");
    assert.equal(command.statements[2]?.sql, 'INSERT INTO t VALUES(1)');
    // Rows that name no random or clock function skip the rewriter (and its tokenizer) altogether.
    assert.deepEqual(sql.rewritten, ["INSERT INTO t VALUES(RANDOM(), datetime('now'))"]);
  });

  void test('POST /boot streams the body to the store, beyond the body limit, within its own', async () => {
    const image = Buffer.concat([sqliteHeader, Buffer.alloc(100_000, 3)]);
    const response = await send(port, 'POST', '/boot', image, { 'Transfer-Encoding': 'chunked' });
    assert.equal(response.status, 200);
    assert.equal(response.text(), '');
    assert.ok(backup.boots[0]?.bytes.equals(image));
    assert.equal(backup.boots[0]?.bytesMax, 1 << 20);

    const statuses: [BackupError | StoreError, number][] = [
      [new BackupError('invalid_data', 'invalid SQLite data: not a SQLite database'), 400],
      [new BackupError('too_large', 'too large'), 413],
      [new BackupError('not_single_node', 'not single-node'), 503],
      [new NotReadyError(), 503],
    ];
    for (const [error, status] of statuses) {
      backup.bootAnswer = () => Promise.reject(error);
      const refused = await send(port, 'POST', '/boot', image);
      assert.equal(refused.status, status, error.message);
      assert.equal(refused.text(), `${error.message}\n`);
      assert.equal(refused.header('connection'), 'close');
    }
    assert.equal((await send(port, 'GET', '/boot')).status, 405);
  });

  void test('POST /snapshot answers 200 when a snapshot was taken and 204 when nothing was new', async () => {
    const taken = await send(port, 'POST', '/snapshot?trailing_logs=5');
    assert.equal(taken.status, 200);
    assert.deepEqual(backup.snapshots, [5]);
    backup.snapshotAnswer = () => Promise.resolve(false);
    const nothing = await send(port, 'POST', '/snapshot');
    assert.equal(nothing.status, 204);
    assert.equal(nothing.header('content-length'), undefined);
    assert.deepEqual(backup.snapshots, [5, 0]);
    assert.equal((await send(port, 'POST', '/snapshot?trailing_logs=-1')).status, 400);
    assert.equal((await send(port, 'POST', '/snapshot?trailing_logs=x')).status, 400);
    backup.snapshotAnswer = () => Promise.reject(new NotReadyError());
    assert.equal((await send(port, 'POST', '/snapshot')).status, 503);
    assert.equal((await send(port, 'GET', '/snapshot')).status, 405);
    // Every request routed to /snapshot counts, as in rqlite (the one with a malformed query never routes).
    const vars = await send(port, 'GET', '/debug/vars?key=http');
    assert.match(vars.text(), /"user_snapshots": 5[,}]/);
    assert.deepEqual(internalErrors, []);
  });
});
