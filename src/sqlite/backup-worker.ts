// A one-off worker thread for the file work of backups and boots, so that copying a large database never
// blocks the main thread's event loop:
// - `copy`: opens a read transaction on the live database (the caller does this between two commands,
//   see backup-copy.ts), says so, and copies every page under it with SQLite's backup API into a new
//   file, which therefore holds exactly the state at the pin;
// - `vacuum`: optionally runs quick_check on a database file, then writes a compacted copy of it with
//   VACUUM INTO, which reads every page and so fails on a damaged file.
// Every file it writes is left in rollback-journal form (header bytes 18 and 19 set to 1), so that it
// can be opened read-only without the WAL's shared-memory file.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

import type { BackupJob, FromBackupWorker } from './backup-protocol.js';
import { Connection } from './connection.js';

const port = parentPort;
if (port === null) throw new Error('backup-worker.js runs only as a worker thread');
const job = workerData as BackupJob;

function post(message: FromBackupWorker): void {
  port!.postMessage(message);
}

/** A failure the file's content caused (a damaged database), as opposed to the machine (disk, memory). */
class InvalidDatabaseError extends Error {}

async function copy(target: Extract<BackupJob, { kind: 'copy' }>): Promise<void> {
  const connection = new Connection(target.target.location, {
    role: 'read',
    foreignKeys: target.target.foreignKeys,
    // In memory a lock held by a client's open transaction fails the pin at once rather than stall it.
    busyTimeoutMs: target.target.location.kind === 'memory' ? 0 : 5000,
  });
  try {
    connection.prepare('BEGIN').run();
    connection.single('PRAGMA schema_version'); // reads the database: the snapshot is now fixed
    post({ kind: 'pinned' });
    // The backup API uses the read transaction already open on its source, so every step copies the
    // pinned state, whatever the writer does meanwhile.
    await connection.raw.backup(target.path, { progress: () => target.pagesPerStep });
    connection.prepare('COMMIT').run();
  } finally {
    connection.close();
  }
  setRollbackJournalHeader(target.path);
}

function vacuum(target: Extract<BackupJob, { kind: 'vacuum' }>): void {
  // The source is a file of our own (a copy or an upload): it is put in rollback-journal form so that a
  // read-only connection can open it whatever its header said.
  setRollbackJournalHeader(target.source);
  let source: Database.Database;
  try {
    source = new Database(target.source, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new InvalidDatabaseError(`cannot open the database: ${describe(error)}`);
  }
  try {
    if (target.check) {
      const problems = source.prepare('PRAGMA quick_check').pluck().all() as string[];
      if (problems.length !== 1 || problems[0] !== 'ok') {
        throw new InvalidDatabaseError(`the database is damaged: ${problems.slice(0, 5).join('; ')}`);
      }
    }
    source.prepare('VACUUM INTO ?').run(target.path);
  } catch (error) {
    if (error instanceof Database.SqliteError && isContentError(error.code)) {
      throw new InvalidDatabaseError(`the database cannot be read: ${error.message}`);
    }
    throw error;
  } finally {
    source.close();
  }
  setRollbackJournalHeader(target.path);
}

// Codes SQLite gives for a file that is not a (sound) database, rather than for the machine failing.
function isContentError(code: string): boolean {
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'SQLITE_FORMAT';
}

const formatVersionOffset = 18;

/** Sets the file format write and read versions (bytes 18 and 19) to 1, rollback journal. */
function setRollbackJournalHeader(path: string): void {
  const descriptor = fs.openSync(path, 'r+');
  try {
    fs.writeSync(descriptor, Uint8Array.of(1, 1), 0, 2, formatVersionOffset);
  } finally {
    fs.closeSync(descriptor);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function run(): Promise<void> {
  switch (job.kind) {
    case 'copy':
      await copy(job);
      break;
    case 'vacuum':
      vacuum(job);
      break;
  }
  post({ kind: 'done' });
}

run().catch((error: unknown) => {
  post({ kind: 'failed', message: describe(error), invalid: error instanceof InvalidDatabaseError });
});
