// Segment files: their names and their fixed 32-byte header.
//
//   offset 0   8 bytes  magic "DUSTLOG\0"
//   offset 8   u32      format version
//   offset 12  u32      segment sequence number (also in the file name)
//   offset 16  u32      salt: a random number that seeds every record checksum in this segment
//   offset 20  8 bytes  reserved, zero
//   offset 28  u32      CRC-32 of bytes 0..28
import { viewOf } from './binary.js';
import { crc32 } from './crc.js';

export const segmentHeaderBytes = 32;
export const segmentFormatVersion = 1;
const magic = new TextEncoder().encode('DUSTLOG\0');

const fileNamePattern = /^(\d{10})\.seg$/;
/** Segments are created under this suffix and renamed once complete; leftovers are removed at open. */
export const temporarySuffix = '.tmp';

export const segmentSequenceMax = 0xffff_ffff;

export function segmentFileName(sequence: number): string {
  return `${String(sequence).padStart(10, '0')}.seg`;
}

/** The sequence number in a segment file name, or undefined for any other name. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = fileNamePattern.exec(name);
  if (match === null) return undefined;
  const sequence = Number(match[1]);
  return sequence >= 1 && sequence <= segmentSequenceMax ? sequence : undefined;
}

export function isTemporarySegmentFileName(name: string): boolean {
  return (
    name.endsWith(temporarySuffix) &&
    parseSegmentFileName(name.slice(0, -temporarySuffix.length)) !== undefined
  );
}

export interface SegmentHeader {
  readonly sequence: number;
  readonly salt: number;
}

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  const bytes = new Uint8Array(segmentHeaderBytes);
  const view = viewOf(bytes);
  bytes.set(magic, 0);
  view.setUint32(8, segmentFormatVersion, true);
  view.setUint32(12, header.sequence, true);
  view.setUint32(16, header.salt, true);
  view.setUint32(28, crc32(bytes.subarray(0, 28)), true);
  return bytes;
}

/** The header, or a description of why these bytes are not a segment header this version can read. */
export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeader | string {
  if (bytes.byteLength < segmentHeaderBytes)
    return `the file is shorter than a segment header (${bytes.byteLength} bytes)`;
  const view = viewOf(bytes);
  for (let i = 0; i < magic.byteLength; i++) {
    if (bytes[i] !== magic[i]) return 'the file does not start with the segment magic bytes';
  }
  if (view.getUint32(28, true) !== crc32(bytes.subarray(0, 28)))
    return 'the segment header checksum does not match';
  const version = view.getUint32(8, true);
  if (version !== segmentFormatVersion) {
    return `segment format version ${version} is not known to this version of Dust`;
  }
  return { sequence: view.getUint32(12, true), salt: view.getUint32(16, true) };
}
