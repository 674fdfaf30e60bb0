// Database images: the bytes of a SQLite database file, as snapshots store them and /db/load receives
// them. Every image Dust produces or accepts is put in rollback-journal form, because SQLite refuses to
// deserialize a file whose header says WAL, and an image that any SQLite can open is the useful one.

import { SqliteStateMachineError } from './errors.js';

const header = 'SQLite format 3\u0000';
// Offsets 18 and 19 of the header are the file format write and read versions: 1 for rollback
// journal, 2 for WAL.
const writeVersionOffset = 18;
const readVersionOffset = 19;
const minimumImageBytes = 100; // the size of the database header

/** Whether `bytes` starts like a SQLite database file. */
export function looksLikeSqliteImage(bytes: Uint8Array): boolean {
  if (bytes.length < header.length) return false;
  for (let index = 0; index < header.length; index++) {
    if (bytes[index] !== header.charCodeAt(index)) return false;
  }
  return true;
}

/**
 * A copy of `image` in rollback-journal form, ready for sqlite3_deserialize. Throws an `invalid_image`
 * error when the bytes are not a SQLite database file.
 */
export function toRollbackJournalImage(image: Uint8Array): Buffer {
  if (image.length < minimumImageBytes || !looksLikeSqliteImage(image)) {
    throw new SqliteStateMachineError(
      'invalid_image',
      `not a SQLite database: expected a file starting with "SQLite format 3" and at least ${minimumImageBytes} bytes, got ${image.length} bytes`,
    );
  }
  const copy = Buffer.from(image);
  if (copy[writeVersionOffset] === 2) copy[writeVersionOffset] = 1;
  if (copy[readVersionOffset] === 2) copy[readVersionOffset] = 1;
  return copy;
}
