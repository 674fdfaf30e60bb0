// Database files for backups, boots and snapshots:
// - copyLiveDatabase: a consistent copy of the live database, as some command left it, in a new file;
// - snapshotToFile: the same copy, taken at the exact state a caller's capture (the applied index) saw;
// - vacuumDatabaseFile: a checked, compacted copy of a database file (VACUUM INTO), in a worker thread
//   (backup-worker.ts) because SQLite does it in one long call.
//
// A copy is made on the main thread with SQLite's backup API, a step of pages per turn of the event loop:
// a worker thread for it would cost a whole JavaScript engine and its heap (15 MB or more while it runs)
// on every snapshot, for work that yields between steps anyway.
//
// Why a copy is consistent: its read transaction is opened inside ReadPool.exclusive, which runs
// between two applied commands, so the transaction sees the state after one command and before the
// next. On disk, WAL keeps that state for the reader while the writer goes on, so applies resume as soon
// as the transaction is open and the copy proceeds beside them. In memory a reader's lock would stop the
// writer's commits (memdb has no WAL), so the whole copy runs inside `exclusive` and applies wait for it:
// about 0.3 s per 100 MB on a small machine.
import { Worker } from 'node:worker_threads';

import type { BackupJob, FromBackupWorker } from './backup-protocol.js';
import { Connection } from './connection.js';
import type { ReadTarget, SqliteDatabase } from './database.js';
import { SqliteStateMachineError } from './errors.js';
import { setRollbackJournalHeader } from './file-header.js';
import type { ReadPool } from './read-pool.js';

// Pages copied per step of the backup API, each step one turn of the event loop: 1 MiB of 4 KiB pages,
// about a millisecond. Every step reads the pinned state.
const pagesPerStep = 256;
// A copy's read transaction starts on the main thread, where waiting for a lock blocks everything: on
// disk (WAL) a reader is refused only in rare moments such as a WAL being recovered, so it waits little.
const pinBusyTimeoutMs = { disk: 200, memory: 0 } as const;

/**
 * Copies the database to a new file at `targetPath`, exactly as it was between two applied commands,
 * without blocking the event loop. Refused (`transaction_open`) in memory while a client's explicit
 * transaction holds the write lock. Fails with an `io` error when the copy cannot be written.
 */
export async function copyLiveDatabase(
  pool: ReadPool,
  database: SqliteDatabase,
  targetPath: string,
): Promise<void> {
  await copyPinned(pool, database, targetPath, {
    refuseOpenTransaction: database.mode === 'memory',
    capture: () => undefined,
  });
}

/**
 * Copies the database to a new file at `targetPath` for a snapshot, and returns what `capture` (the
 * applied log index, say) returned at exactly the state the file holds: `capture` runs in the apply
 * order, at the moment the copy's read transaction is pinned. The copy is made with SQLite's backup API,
 * a step of pages at a time, so memory does not grow with the database; on disk the applies
 * go on while it is made. Refused (`transaction_open`) while a client's explicit transaction is open, in
 * both modes: the entries applied inside it would be counted in `capture` but missing from the file.
 */
export async function snapshotToFile<T>(
  pool: ReadPool,
  database: SqliteDatabase,
  targetPath: string,
  capture: () => T,
): Promise<T> {
  return copyPinned(pool, database, targetPath, { refuseOpenTransaction: true, capture });
}

async function copyPinned<T>(
  pool: ReadPool,
  database: SqliteDatabase,
  targetPath: string,
  options: { readonly refuseOpenTransaction: boolean; readonly capture: () => T },
): Promise<T> {
  let copied: Promise<void> | undefined;
  const captured = await pool.exclusive(async () => {
    if (options.refuseOpenTransaction && database.inTransaction) {
      throw new SqliteStateMachineError(
        'transaction_open',
        'cannot copy the database while a transaction opened by a client (BEGIN without COMMIT) is open; retry after it ends',
      );
    }
    const job = startCopy(database.readTarget, targetPath);
    if (database.mode === 'memory') {
      // Nothing is applied until the copy is done, so the state captured now is the one copied.
      const value = options.capture();
      await job.done;
      return value;
    }
    await job.pinned;
    copied = job.done;
    return options.capture();
  });
  await copied;
  return captured;
}

/**
 * Writes a compacted copy of the database file `sourcePath` to `targetPath` with VACUUM INTO, after a
 * quick_check when `check` is set. The source must be a file of the caller's own that nothing else uses:
 * its header is put in rollback-journal form first. A file that is not a sound database fails with an
 * `invalid_image` error, other failures with `io`.
 */
export async function vacuumDatabaseFile(
  sourcePath: string,
  targetPath: string,
  options: { readonly check: boolean },
): Promise<void> {
  await startVacuum({ kind: 'vacuum', source: sourcePath, path: targetPath, check: options.check });
}

interface RunningCopy {
  /** Settles once the copy's read transaction is open (a copy that cannot start rejects it too). */
  readonly pinned: Promise<void>;
  readonly done: Promise<void>;
}

/**
 * Opens a read transaction on the database now (so the state it copies is the one of this moment), then
 * copies every page under it into a new file at `path`, left in rollback-journal form so that it opens
 * read-only without the WAL's shared-memory file.
 */
function startCopy(target: ReadTarget, path: string): RunningCopy {
  let connection: Connection | undefined;
  try {
    connection = new Connection(target.location, {
      role: 'read',
      foreignKeys: target.foreignKeys,
      // In memory a lock held by a client's open transaction fails the pin at once rather than stall it.
      busyTimeoutMs: pinBusyTimeoutMs[target.location.kind],
    });
    connection.prepare('BEGIN').run();
    connection.single('PRAGMA schema_version'); // reads the database: the state is now fixed
  } catch (error) {
    connection?.close();
    const failed = Promise.reject(asCopyError(error));
    failed.catch(() => undefined);
    return { pinned: failed, done: failed };
  }
  const copying = connection;
  const done = (async () => {
    try {
      // The backup API uses the read transaction already open on its source, so every step copies the
      // pinned state, whatever the writer does meanwhile.
      await copying.raw.backup(path, { progress: () => pagesPerStep });
      copying.prepare('COMMIT').run();
    } catch (error) {
      throw asCopyError(error);
    } finally {
      copying.close();
    }
    setRollbackJournalHeader(path);
  })();
  done.catch(() => undefined);
  return { pinned: Promise.resolve(), done };
}

function asCopyError(error: unknown): SqliteStateMachineError {
  return new SqliteStateMachineError('io', error instanceof Error ? error.message : String(error));
}

function startVacuum(job: BackupJob): Promise<void> {
  const worker = new Worker(new URL('./backup-worker.js', import.meta.url), { workerData: job });
  // Settling a settled promise does nothing, so every path may report its outcome.
  return new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromBackupWorker) => {
      if (message.kind === 'done') resolve();
      else reject(new SqliteStateMachineError(message.invalid ? 'invalid_image' : 'io', message.message));
    });
    worker.on('error', (error) => reject(new SqliteStateMachineError('io', error.message)));
    worker.on('exit', () =>
      reject(new SqliteStateMachineError('io', 'the backup worker stopped before finishing its work')),
    );
  });
}
