// Database files for backups, boots and snapshots, made in a worker thread (backup-worker.ts):
// - copyLiveDatabase: a consistent copy of the live database, as some command left it, in a new file;
// - snapshotToFile: the same copy, taken at the exact state a caller's capture (the applied index) saw;
// - vacuumDatabaseFile: a checked, compacted copy of a database file (VACUUM INTO).
//
// Why a copy is consistent: the worker opens its read transaction inside ReadPool.exclusive, which runs
// between two applied commands, so the transaction sees the state after one command and before the
// next. On disk, WAL keeps that state for the reader while the writer goes on, so applies resume as soon
// as the transaction is open and the copy proceeds beside them. In memory a reader's lock would stop the
// writer's commits (memdb has no WAL), so the whole copy runs inside `exclusive` and applies wait for it:
// about 0.3 s per 100 MB on a small machine.
import { Worker } from 'node:worker_threads';

import type { BackupJob, FromBackupWorker } from './backup-protocol.js';
import type { SqliteDatabase } from './database.js';
import { SqliteStateMachineError } from './errors.js';
import type { ReadPool } from './read-pool.js';

// Pages copied per step of the backup API: 16 MiB of 4 KiB pages; every step reads the pinned state.
const pagesPerStep = 4096;

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
 * order, at the moment the copy's read transaction is pinned. The copy is made in a worker with SQLite's
 * backup API, a step of pages at a time, so memory does not grow with the database; on disk the applies
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
    const job = startJob({ kind: 'copy', target: database.readTarget, path: targetPath, pagesPerStep });
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
  await startJob({ kind: 'vacuum', source: sourcePath, path: targetPath, check: options.check }).done;
}

interface RunningJob {
  /** Settles once a copy's read transaction is open (immediately rejected jobs reject it too). */
  readonly pinned: Promise<void>;
  readonly done: Promise<void>;
}

function startJob(job: BackupJob): RunningJob {
  const worker = new Worker(new URL('./backup-worker.js', import.meta.url), { workerData: job });
  let resolvePinned!: () => void;
  let rejectPinned!: (error: Error) => void;
  const pinned = new Promise<void>((resolve, reject) => {
    resolvePinned = resolve;
    rejectPinned = reject;
  });
  const done = new Promise<void>((resolve, reject) => {
    // Settling a settled promise does nothing, so every path may report its outcome.
    const failed = (error: Error): void => {
      rejectPinned(error);
      reject(error);
    };
    worker.on('message', (message: FromBackupWorker) => {
      switch (message.kind) {
        case 'pinned':
          resolvePinned();
          return;
        case 'done':
          resolvePinned();
          resolve();
          return;
        case 'failed':
          failed(new SqliteStateMachineError(message.invalid ? 'invalid_image' : 'io', message.message));
          return;
      }
    });
    worker.on('error', (error) => failed(new SqliteStateMachineError('io', error.message)));
    worker.on('exit', () =>
      failed(new SqliteStateMachineError('io', 'the backup worker stopped before finishing its work')),
    );
  });
  // Whoever awaits only `pinned` must not leave a later failure of `done` unhandled.
  done.catch(() => undefined);
  pinned.catch(() => undefined);
  return { pinned, done };
}
