// The snapshot file format. One file holds a header, the data and a trailer:
//
//   header   offset 0   8 bytes  magic "DUSTSNAP"
//            offset 8   u32      format version
//            offset 12  u32      metadata length n
//            offset 16  u64      index of the last entry the snapshot covers
//            offset 24  u64      term of that entry
//            offset 32  n bytes  metadata (opaque: the Raft configuration goes here)
//            offset 32+n u32     CRC-32 of the header bytes before it
//   data     dataBytes bytes, starting at 36 + n
//   trailer  u64 dataBytes | u32 CRC-32 of the data | u32 header CRC again | u32 CRC-32 of these 16 bytes | u32 zero
//
// The data is streamed, so its length and checksum are only known at the end: they go in the trailer. Repeating
// the header's checksum there ties the trailer to its header.
import { readUint64, viewOf, writeUint64 } from './binary.js';
import { crc32 } from './crc.js';

export const snapshotFormatVersion = 1;
export const snapshotHeaderFixedBytes = 32;
export const snapshotTrailerBytes = 24;
/** The format's ceiling on metadata; the configured limit may only be lower. */
export const snapshotMetadataBytesCeiling = 64 * 1024 * 1024;
const magic = new TextEncoder().encode('DUSTSNAP');

const fileNamePattern = /^(\d{20})-(\d{20})\.snap$/;
export const snapshotTemporarySuffix = '.tmp';

export interface SnapshotMeta {
  /** Index of the last log entry the snapshot includes. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** Opaque bytes stored beside the data (the cluster configuration, for Raft). */
  readonly metadata: Uint8Array;
}

export function snapshotFileName(index: number, term: number): string {
  return `${String(index).padStart(20, '0')}-${String(term).padStart(20, '0')}.snap`;
}

export function parseSnapshotFileName(name: string): { index: number; term: number } | undefined {
  const match = fileNamePattern.exec(name);
  if (match === null) return undefined;
  const index = Number(match[1]);
  const term = Number(match[2]);
  return Number.isSafeInteger(index) && Number.isSafeInteger(term) ? { index, term } : undefined;
}

export function encodeSnapshotHeader(meta: SnapshotMeta): { bytes: Uint8Array; checksum: number } {
  const bytes = new Uint8Array(snapshotHeaderFixedBytes + meta.metadata.byteLength + 4);
  const view = viewOf(bytes);
  bytes.set(magic, 0);
  view.setUint32(8, snapshotFormatVersion, true);
  view.setUint32(12, meta.metadata.byteLength, true);
  writeUint64(view, 16, meta.index);
  writeUint64(view, 24, meta.term);
  bytes.set(meta.metadata, snapshotHeaderFixedBytes);
  const checksum = crc32(bytes.subarray(0, bytes.byteLength - 4));
  view.setUint32(bytes.byteLength - 4, checksum, true);
  return { bytes, checksum };
}

/** Reads the fixed part of a header: the metadata length (to know how much more to read), or a problem. */
export function decodeSnapshotHeaderStart(bytes: Uint8Array): { metadataBytes: number } | string {
  if (bytes.byteLength < snapshotHeaderFixedBytes) return 'the file is shorter than a snapshot header';
  for (let i = 0; i < magic.byteLength; i++) {
    if (bytes[i] !== magic[i]) return 'the file does not start with the snapshot magic bytes';
  }
  const view = viewOf(bytes);
  const version = view.getUint32(8, true);
  if (version !== snapshotFormatVersion)
    return `snapshot format version ${version} is not known to this version of Dust`;
  const metadataBytes = view.getUint32(12, true);
  if (metadataBytes > snapshotMetadataBytesCeiling)
    return `the metadata length ${metadataBytes} is impossible`;
  return { metadataBytes };
}

/** Decodes a whole header (fixed part, metadata and checksum). */
export function decodeSnapshotHeader(bytes: Uint8Array): { meta: SnapshotMeta; checksum: number } | string {
  const start = decodeSnapshotHeaderStart(bytes);
  if (typeof start === 'string') return start;
  const size = snapshotHeaderFixedBytes + start.metadataBytes + 4;
  if (bytes.byteLength !== size) return 'the header is cut short';
  const view = viewOf(bytes);
  const checksum = view.getUint32(size - 4, true);
  if (checksum !== crc32(bytes.subarray(0, size - 4))) return 'the header checksum does not match';
  const index = readUint64(view, 16);
  const term = readUint64(view, 24);
  if (index === undefined || term === undefined) return 'the index or term is beyond 2^53';
  return {
    meta: {
      index,
      term,
      metadata: bytes.slice(snapshotHeaderFixedBytes, snapshotHeaderFixedBytes + start.metadataBytes),
    },
    checksum,
  };
}

export function encodeSnapshotTrailer(
  dataBytes: number,
  dataChecksum: number,
  headerChecksum: number,
): Uint8Array {
  const bytes = new Uint8Array(snapshotTrailerBytes);
  const view = viewOf(bytes);
  writeUint64(view, 0, dataBytes);
  view.setUint32(8, dataChecksum, true);
  view.setUint32(12, headerChecksum, true);
  view.setUint32(16, crc32(bytes.subarray(0, 16)), true);
  return bytes;
}

export function decodeSnapshotTrailer(
  bytes: Uint8Array,
  headerChecksum: number,
): { dataBytes: number; dataChecksum: number } | string {
  const view = viewOf(bytes);
  if (view.getUint32(16, true) !== crc32(bytes.subarray(0, 16)) || view.getUint32(20, true) !== 0) {
    return 'the trailer is missing or damaged (the save did not finish, or the end of the file was damaged)';
  }
  if (view.getUint32(12, true) !== headerChecksum) return 'the trailer belongs to another header';
  const dataBytes = readUint64(view, 0);
  if (dataBytes === undefined) return 'the data length is beyond 2^53';
  return { dataBytes, dataChecksum: view.getUint32(8, true) };
}
