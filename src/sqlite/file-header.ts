// The file-format bytes of a database file on disk, shared by the main thread's copies and the backup
// worker's.
import fs from 'node:fs';

const formatVersionOffset = 18;

/**
 * Sets the file format write and read versions (bytes 18 and 19) to 1, rollback journal, so that the file
 * opens read-only without the WAL's shared-memory file whatever its header said.
 */
export function setRollbackJournalHeader(path: string): void {
  const descriptor = fs.openSync(path, 'r+');
  try {
    fs.writeSync(descriptor, Uint8Array.of(1, 1), 0, 2, formatVersionOffset);
  } finally {
    fs.closeSync(descriptor);
  }
}
