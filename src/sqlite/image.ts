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
 * `image` in rollback-journal form, ready for sqlite3_deserialize (which copies it again): the caller's
 * bytes themselves, seen as a Buffer, when they already are in that form, else a patched copy. The
 * caller's bytes are never changed. Throws an `invalid_image` error when they are not a SQLite database.
 */
export function toRollbackJournalImage(image: Uint8Array): Buffer {
  checkImage(image);
  const view = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  if (!isInWalForm(view)) return view;
  return setRollbackJournalForm(Buffer.from(image));
}

/**
 * Puts `image`, bytes of the caller's own that nobody else sees (a fresh serialize() result), in
 * rollback-journal form in place, without a copy, and returns it.
 */
export function setRollbackJournalForm<Bytes extends Uint8Array>(image: Bytes): Bytes {
  checkImage(image);
  if (image[writeVersionOffset] === 2) image[writeVersionOffset] = 1;
  if (image[readVersionOffset] === 2) image[readVersionOffset] = 1;
  return image;
}

function isInWalForm(image: Uint8Array): boolean {
  return image[writeVersionOffset] === 2 || image[readVersionOffset] === 2;
}

function checkImage(image: Uint8Array): void {
  if (image.length < minimumImageBytes || !looksLikeSqliteImage(image)) {
    throw new SqliteStateMachineError(
      'invalid_image',
      `not a SQLite database: expected a file starting with "SQLite format 3" and at least ${minimumImageBytes} bytes, got ${image.length} bytes`,
    );
  }
}
