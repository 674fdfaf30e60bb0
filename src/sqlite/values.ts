// Result values as rqlite reports them. rqlite reads rows through a Go SQLite driver that interprets
// some declared column types (times, booleans) and returns bytes for text-like declared types; rqlite
// then names each column's type after its declaration or, for expressions, after the first row's values.
// Clients depend on those rules (gorqlite parses datetime strings, ORMs read booleans), so the rows of a
// RowsResult follow them exactly.
import type { ResultValue, SqlValue } from '../command/types.js';
import { formatRfc3339Nano, parseDatetimeText, wallTimeFromUnix } from './go-time.js';

/** A value as better-sqlite3 returns it with safe integers on: the storage class is the JavaScript type. */
export type StoredValue = SqlValue;

/** The lower-cased declared type, or "" for an expression, as the driver compares it. */
export function normalizeDeclaredType(declaredType: string | null | undefined): string {
  return (declaredType ?? '').toLowerCase();
}

function isTimeType(declaredType: string): boolean {
  return declaredType === 'date' || declaredType === 'datetime' || declaredType === 'timestamp';
}

/**
 * Whether bytes read from a column of this (lower-cased) declared type are returned as a string:
 * the types with SQLite text affinity that rqlite recognises, and "" (no declared type).
 */
export function isTextLikeType(declaredType: string): boolean {
  return (
    declaredType === 'text' ||
    declaredType === 'json' ||
    declaredType === '' ||
    declaredType.startsWith('varchar') ||
    declaredType.startsWith('varying character') ||
    declaredType.startsWith('nchar') ||
    declaredType.startsWith('native character') ||
    declaredType.startsWith('nvarchar') ||
    declaredType.startsWith('clob')
  );
}

/**
 * One stored value after the driver's and rqlite's conversions for its column's declared type.
 * Throws TimeFormatError for a time whose year or offset Go cannot print; rqlite fails the statement then.
 */
export function convertValue(value: StoredValue, declaredType: string): ResultValue {
  if (typeof value === 'bigint') {
    if (isTimeType(declaredType)) return formatRfc3339Nano(wallTimeFromUnix(value));
    if (declaredType === 'boolean') return value > 0n;
    return value;
  }
  if (typeof value === 'string') {
    return isTimeType(declaredType) ? formatRfc3339Nano(parseDatetimeText(value)) : value;
  }
  if (value instanceof Uint8Array) {
    // A plain copy of exactly the blob's bytes: no Buffer subclass, no shared pool slab to carry along
    // when a read worker posts the row to the main thread.
    return isTextLikeType(declaredType) ? decodeUtf8LikeGo(value) : new Uint8Array(value);
  }
  return value; // REAL and NULL pass through unchanged
}

/**
 * The type name rqlite reports for a column without a declared type, from the first row's value after
 * conversion; "" when that value is NULL.
 */
export function typeNameOfValue(value: ResultValue): string {
  if (value === null) return '';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return 'real';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'text';
  return 'blob';
}

/**
 * Bytes as the JSON a Go program writes for string(bytes): valid UTF-8 is kept, and every byte that does
 * not start a valid sequence becomes U+FFFD on its own (Go's rule, which differs from TextDecoder's).
 */
export function decodeUtf8LikeGo(bytes: Uint8Array): string {
  let text = '';
  let index = 0;
  while (index < bytes.length) {
    const length = validSequenceLength(bytes, index);
    if (length === 0) {
      text += '\ufffd';
      index += 1;
      continue;
    }
    let codePoint = bytes[index]!;
    if (length > 1) {
      codePoint &= 0xff >> (length + 1);
      for (let k = 1; k < length; k++) codePoint = (codePoint << 6) | (bytes[index + k]! & 0x3f);
    }
    text += String.fromCodePoint(codePoint);
    index += length;
  }
  return text;
}

// Length of the valid UTF-8 sequence at `index`, or 0: no overlong forms, no surrogates, at most U+10FFFF.
function validSequenceLength(bytes: Uint8Array, index: number): number {
  const first = bytes[index]!;
  if (first < 0x80) return 1;
  const continuation = (offset: number, low = 0x80, high = 0xbf): boolean => {
    const byte = bytes[index + offset];
    return byte !== undefined && byte >= low && byte <= high;
  };
  if (first >= 0xc2 && first <= 0xdf) return continuation(1) ? 2 : 0;
  if (first >= 0xe0 && first <= 0xef) {
    const low = first === 0xe0 ? 0xa0 : 0x80;
    const high = first === 0xed ? 0x9f : 0xbf;
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const low = first === 0xf0 ? 0x90 : 0x80;
    const high = first === 0xf4 ? 0x8f : 0xbf;
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}
