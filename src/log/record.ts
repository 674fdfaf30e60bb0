// The record format of log segments. Every record is framed as
//
//   offset 0   u32  body length in bytes
//   offset 4   u32  CRC-32 of bytes 0..4 and 8..end, started from the segment's salt
//   offset 8   u32  batch start: segment offset of the first record of the write this record belongs to
//   offset 12  u32  batch end: segment offset just past the last record of that write
//   offset 16  body: one type byte, then the type's fields (little-endian; indexes and terms as 64-bit fields)
//
// The batch fields let recovery tell an interrupted write from damaged old data (see DESIGN.md); the salt makes a
// record verify only inside the segment that wrote it.
import { readUint64, viewOf, writeUint64 } from './binary.js';
import { crc32 } from './crc.js';
import type { HardState, LogEntry } from './types.js';

export const frameHeaderBytes = 16;

/** The largest entry payload the format can hold; the configured limit may only be lower. */
export const entryDataBytesCeiling = 1024 * 1024 * 1024;
/** Votes are node ids: short strings. */
export const voteBytesMax = 1024;

const entryBodyHeaderBytes = 20;
const hardStateBodyHeaderBytes = 20;
/** Any body longer than this was not written by this format: its length field is damaged. */
export const bodyBytesCeiling = entryDataBytesCeiling + entryBodyHeaderBytes;

const typeCode = { start: 1, hardState: 2, entry: 3, truncate: 4, compact: 5 } as const;

export type LogRecord =
  /** The first record of every segment: the log's state where the segment begins. */
  | {
      readonly type: 'start';
      readonly baseIndex: number;
      readonly baseTerm: number;
      readonly lastIndex: number;
    }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  | { readonly type: 'entry'; readonly entry: LogEntry }
  /** Entries from `fromIndex` on are void; entries written after this record replace them. */
  | { readonly type: 'truncate'; readonly fromIndex: number }
  /** Entries up to `index` are in a snapshot whose last entry has `term`; `index` may lie beyond the log's end. */
  | { readonly type: 'compact'; readonly index: number; readonly term: number };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function encodedVote(vote: string): Uint8Array {
  return textEncoder.encode(vote);
}

function bodyBytes(record: LogRecord): number {
  switch (record.type) {
    case 'start':
      return 28;
    case 'hardState':
      return hardStateBodyHeaderBytes + encodedVote(record.hardState.vote).byteLength;
    case 'entry':
      return entryBodyHeaderBytes + record.entry.data.byteLength;
    case 'truncate':
      return 12;
    case 'compact':
      return 20;
  }
}

/** The bytes a record occupies on disk, framing included. */
export function recordBytes(record: LogRecord): number {
  return frameHeaderBytes + bodyBytes(record);
}

/** Framing bytes plus fixed fields of an entry record: what an entry costs beyond its payload. */
export const entryRecordOverheadBytes = frameHeaderBytes + entryBodyHeaderBytes;

export interface BatchBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * Writes `record` into `target` at `position` (which is also its offset within the segment) and returns the
 * number of bytes written.
 */
export function encodeRecord(
  target: Uint8Array,
  position: number,
  record: LogRecord,
  batch: BatchBounds,
  salt: number,
): number {
  const size = recordBytes(record);
  const frame = target.subarray(position, position + size);
  const view = viewOf(frame);
  view.setUint32(0, size - frameHeaderBytes, true);
  view.setUint32(8, batch.start, true);
  view.setUint32(12, batch.end, true);
  frame.fill(0, frameHeaderBytes, frameHeaderBytes + 4);
  frame[frameHeaderBytes] = typeCode[record.type];
  const b = frameHeaderBytes;
  switch (record.type) {
    case 'start':
      writeUint64(view, b + 4, record.baseIndex);
      writeUint64(view, b + 12, record.baseTerm);
      writeUint64(view, b + 20, record.lastIndex);
      break;
    case 'hardState': {
      const vote = encodedVote(record.hardState.vote);
      view.setUint16(b + 2, vote.byteLength, true);
      writeUint64(view, b + 4, record.hardState.term);
      writeUint64(view, b + 12, record.hardState.commit);
      frame.set(vote, b + hardStateBodyHeaderBytes);
      break;
    }
    case 'entry':
      frame[b + 1] = record.entry.kind;
      writeUint64(view, b + 4, record.entry.index);
      writeUint64(view, b + 12, record.entry.term);
      frame.set(record.entry.data, b + entryBodyHeaderBytes);
      break;
    case 'truncate':
      writeUint64(view, b + 4, record.fromIndex);
      break;
    case 'compact':
      writeUint64(view, b + 4, record.index);
      writeUint64(view, b + 12, record.term);
      break;
  }
  view.setUint32(4, frameChecksum(frame, salt), true);
  return size;
}

export interface FrameHeader {
  readonly bodyBytes: number;
  readonly checksum: number;
  readonly batchStart: number;
  readonly batchEnd: number;
  readonly frameBytes: number;
}

/** Reads the 16-byte frame header at the start of `bytes`. */
export function readFrameHeader(bytes: Uint8Array): FrameHeader {
  const view = viewOf(bytes);
  const body = view.getUint32(0, true);
  return {
    bodyBytes: body,
    checksum: view.getUint32(4, true),
    batchStart: view.getUint32(8, true),
    batchEnd: view.getUint32(12, true),
    frameBytes: frameHeaderBytes + body,
  };
}

/**
 * Why a frame header at `position` cannot belong to an intact record, or undefined when it might. Cheap: no
 * checksum is computed, so recovery can try it at every offset of a damaged region.
 */
export function frameHeaderProblem(
  header: FrameHeader,
  position: number,
  fileBytes: number,
): string | undefined {
  if (header.bodyBytes === 0) return 'the record length is zero';
  if (header.bodyBytes > bodyBytesCeiling) return `the record length ${header.bodyBytes} is impossible`;
  if (position + header.frameBytes > fileBytes) {
    return `the record (${header.frameBytes} bytes) runs past the end of the file`;
  }
  if (header.batchStart > position || header.batchEnd < position + header.frameBytes) {
    return 'the record lies outside the write it claims to belong to';
  }
  return undefined;
}

function frameChecksum(frame: Uint8Array, salt: number): number {
  return crc32(frame.subarray(8), crc32(frame.subarray(0, 4), salt));
}

/** True when the whole frame (header and body) carries the checksum it was written with. */
export function frameChecksumMatches(frame: Uint8Array, salt: number): boolean {
  return viewOf(frame).getUint32(4, true) === frameChecksum(frame, salt);
}

/**
 * Decodes a verified frame's body. Returns a description of the problem for a body that verifies but does not
 * make sense (an unknown type, nonzero reserved bytes, an oversized number): such a record was not written by
 * this format. Entry payloads are views into `frame`, not copies.
 */
export function decodeRecordBody(frame: Uint8Array): LogRecord | string {
  const body = frame.subarray(frameHeaderBytes);
  const view = viewOf(body);
  const type = body[0] ?? 0;
  const need = (bytes: number): string | undefined =>
    body.byteLength < bytes ? `a record of type ${type} is only ${body.byteLength} bytes long` : undefined;
  const number = (offset: number, what: string): number => {
    const value = readUint64(view, offset);
    if (value === undefined) throw new BodyProblem(`the ${what} field is beyond 2^53`);
    return value;
  };
  try {
    switch (type) {
      case typeCode.start:
        return (
          exact(body, 28) ??
          reservedZero(body, 1, 3) ?? {
            type: 'start',
            baseIndex: number(4, 'base index'),
            baseTerm: number(12, 'base term'),
            lastIndex: number(20, 'last index'),
          }
        );
      case typeCode.hardState: {
        const problem = need(hardStateBodyHeaderBytes) ?? reservedZero(body, 1, 1);
        if (problem !== undefined) return problem;
        const voteBytes = view.getUint16(2, true);
        if (voteBytes > voteBytesMax || hardStateBodyHeaderBytes + voteBytes !== body.byteLength) {
          return 'the hard state record has an impossible vote length';
        }
        let vote: string;
        try {
          vote = textDecoder.decode(body.subarray(hardStateBodyHeaderBytes));
        } catch {
          return 'the vote in a hard state record is not UTF-8';
        }
        return {
          type: 'hardState',
          hardState: { term: number(4, 'term'), vote, commit: number(12, 'commit') },
        };
      }
      case typeCode.entry:
        return (
          need(entryBodyHeaderBytes) ??
          reservedZero(body, 2, 2) ?? {
            type: 'entry',
            entry: {
              index: number(4, 'index'),
              term: number(12, 'term'),
              kind: body[1]!,
              data: body.subarray(entryBodyHeaderBytes),
            },
          }
        );
      case typeCode.truncate:
        return (
          exact(body, 12) ?? reservedZero(body, 1, 3) ?? { type: 'truncate', fromIndex: number(4, 'index') }
        );
      case typeCode.compact:
        return (
          exact(body, 20) ??
          reservedZero(body, 1, 3) ?? { type: 'compact', index: number(4, 'index'), term: number(12, 'term') }
        );
      default:
        return `unknown record type ${type}`;
    }
  } catch (error) {
    if (error instanceof BodyProblem) return error.message;
    throw error;
  }
}

class BodyProblem extends Error {}

function exact(body: Uint8Array, bytes: number): string | undefined {
  return body.byteLength === bytes
    ? undefined
    : `a record of type ${body[0]} is ${body.byteLength} bytes long instead of ${bytes}`;
}

function reservedZero(body: Uint8Array, from: number, count: number): string | undefined {
  for (let i = from; i < from + count; i++) {
    if (body[i] !== 0) return `reserved byte ${i} of a record of type ${body[0]} is not zero`;
  }
  return undefined;
}
