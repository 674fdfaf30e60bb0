// A one-off worker thread for the file work of backups and boots that SQLite does in one call, so that it
// never blocks the main thread's event loop: `vacuum` optionally runs quick_check on a database file,
// then writes a compacted copy of it with VACUUM INTO, which reads every page and so fails on a damaged
// file. The file it writes is left in rollback-journal form (header bytes 18 and 19 set to 1), so that
// it can be opened read-only without the WAL's shared-memory file.
import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

import type { BackupJob, FromBackupWorker } from './backup-protocol.js';
import { setRollbackJournalHeader } from './file-header.js';

const port = parentPort;
if (port === null) throw new Error('backup-worker.js runs only as a worker thread');
const job = workerData as BackupJob;

function post(message: FromBackupWorker): void {
  port!.postMessage(message);
}

/** A failure the file's content caused (a damaged database), as opposed to the machine (disk, memory). */
class InvalidDatabaseError extends Error {}

function vacuum(target: BackupJob): void {
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

try {
  vacuum(job);
  post({ kind: 'done' });
} catch (error) {
  post({ kind: 'failed', message: describe(error), invalid: error instanceof InvalidDatabaseError });
}
