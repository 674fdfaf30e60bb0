// A quick look at the first 100 bytes of a database file (its header) and at its length, to refuse what
// cannot be a whole SQLite database before anything is done with it: bytes that are not a database at
// all, a header SQLite would refuse, and a file cut short in transfer. It reads no page beyond the
// header, so it is cheap enough for every upload; SQLite itself checks the pages later (a restore copies
// every page with VACUUM INTO, which fails on a damaged one).
//
// The header layout is SQLite's file format, section 1.3 ("The Database Header").

/** How many bytes of a file the check needs: SQLite's database header. */
export const imageHeaderBytes = 100;

const magic = 'SQLite format 3\u0000';
const pageBytesOffset = 16;
const writeVersionOffset = 18;
const readVersionOffset = 19;
const payloadFractionsOffset = 21;
const changeCounterOffset = 24;
const pageCountOffset = 28;
const versionValidForOffset = 92;

/** Why a file is not a usable database: not one at all, damaged, or shorter than its header says. */
export interface ImageProblem {
  readonly kind: 'not_sqlite' | 'damaged' | 'truncated';
  /** A sentence a user can act on. */
  readonly message: string;
}

/** The page geometry of a file that passed the check. */
export interface ImageLayout {
  readonly pageBytes: number;
  /** Pages the file holds (its length over the page size). */
  readonly pageCount: number;
}

/** Whether `bytes` starts with the 16-byte header string of a SQLite database. */
export function startsLikeSqlite(bytes: Uint8Array): boolean {
  if (bytes.length < magic.length) return false;
  for (let index = 0; index < magic.length; index++) {
    if (bytes[index] !== magic.charCodeAt(index)) return false;
  }
  return true;
}

/**
 * Checks a database file from its header (`head`: at least its first 100 bytes, or the whole file if
 * shorter) and its length in bytes. Returns the problem, or the page layout when the file looks whole.
 */
export function checkImageHeader(head: Uint8Array, fileBytes: number): ImageProblem | ImageLayout {
  if (!startsLikeSqlite(head)) {
    return { kind: 'not_sqlite', message: 'not a SQLite database: it does not start with "SQLite format 3"' };
  }
  if (head.length < imageHeaderBytes || fileBytes < imageHeaderBytes) {
    return {
      kind: 'truncated',
      message: `the SQLite database is truncated: ${fileBytes} bytes, shorter than its ${imageHeaderBytes}-byte header`,
    };
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const storedPageBytes = view.getUint16(pageBytesOffset);
  // SQLite writes 1 for 65536, which does not fit in two bytes.
  const pageBytes = storedPageBytes === 1 ? 65536 : storedPageBytes;
  if (pageBytes < 512 || pageBytes > 65536 || (pageBytes & (pageBytes - 1)) !== 0) {
    return damaged(`its page size (${storedPageBytes}) is not a power of two from 512 to 65536`);
  }
  for (const offset of [writeVersionOffset, readVersionOffset]) {
    const version = head[offset];
    if (version !== 1 && version !== 2) {
      return damaged(`its file format version at byte ${offset} is ${version}, where SQLite writes 1 or 2`);
    }
  }
  if (
    head[payloadFractionsOffset] !== 64 ||
    head[payloadFractionsOffset + 1] !== 32 ||
    head[payloadFractionsOffset + 2] !== 32
  ) {
    return damaged('its payload fractions (bytes 21 to 23) are not the 64, 32, 32 SQLite requires');
  }
  if (fileBytes % pageBytes !== 0) {
    return {
      kind: 'truncated',
      message:
        `the SQLite database is truncated or padded: ${fileBytes} bytes is not a whole number of ` +
        `${pageBytes}-byte pages`,
    };
  }
  // The page count in the header is trusted only when the write that set it also set version-valid-for.
  const headerPageCount = view.getUint32(pageCountOffset);
  const countIsValid =
    headerPageCount > 0 && view.getUint32(versionValidForOffset) === view.getUint32(changeCounterOffset);
  const pageCount = fileBytes / pageBytes;
  if (countIsValid && pageCount < headerPageCount) {
    return {
      kind: 'truncated',
      message:
        `the SQLite database is truncated: its header says ${headerPageCount} pages of ${pageBytes} bytes ` +
        `(${headerPageCount * pageBytes} bytes) but the file has ${fileBytes} bytes`,
    };
  }
  return { pageBytes, pageCount };
}

/** Whether a check result is a problem. */
export function isImageProblem(result: ImageProblem | ImageLayout): result is ImageProblem {
  return 'kind' in result;
}

function damaged(reason: string): ImageProblem {
  return { kind: 'damaged', message: `the SQLite database is damaged: ${reason}` };
}
