// Reading a segment at open: verify every record, replay the complete writes, and decide what a damaged record
// means. The rule (argued in DESIGN.md): damage is an interrupted write, to be cut off, only when it lies in the
// last segment, inside the last write, and nothing written after that write exists in the file. Anything else is
// corruption of data that was already durable, and opening fails with LogCorruptError.
import type { ReadFile } from './disk.js';
import { LogCorruptError } from './errors.js';
import {
  decodeRecordBody,
  frameChecksumMatches,
  frameHeaderBytes,
  frameHeaderProblem,
  readFrameHeader,
  type BatchBounds,
  type LogRecord,
} from './record.js';
import type { Replay, RecordPlace } from './replay.js';
import { decodeSegmentHeader, segmentHeaderBytes } from './segment-file.js';

export interface ScannedSegment {
  readonly sequence: number;
  readonly salt: number;
  /** The end of the last complete write: where the next write goes. */
  readonly validBytes: number;
  /** The log's last index when the segment began (from its start record). */
  readonly startLastIndex: number;
  /** The end of the segment's first write. */
  readonly firstWriteEnd: number;
  /** Set when the end of the file held an interrupted write that must be cut off at `validBytes`. */
  readonly interruptedWrite?: { readonly offset: number; readonly problem: string };
}

/** Reads a file through a window of bytes, so that scanning costs one read per window rather than per record. */
class FileWindow {
  private buffer = new Uint8Array(0);
  private start = 0;
  private filled = 0;

  constructor(
    private readonly file: ReadFile,
    private readonly fileBytes: number,
    private readonly windowBytes: number,
  ) {}

  /** The bytes if they are already in the window. */
  peek(position: number, length: number): Uint8Array | undefined {
    if (position < this.start || position + length > this.start + this.filled) return undefined;
    return this.buffer.subarray(position - this.start, position - this.start + length);
  }

  /** Moves the window to `position` and returns `length` bytes from there; they must lie within the file. */
  async load(position: number, length: number): Promise<Uint8Array> {
    const size = Math.min(Math.max(this.windowBytes, length), this.fileBytes - position);
    if (this.buffer.byteLength < size || this.buffer.byteLength > 4 * this.windowBytes) {
      this.buffer = new Uint8Array(Math.max(size, this.windowBytes));
    }
    const read = await this.file.read(this.buffer.subarray(0, size), position);
    this.start = position;
    this.filled = read;
    const bytes = this.peek(position, length);
    if (bytes === undefined) throw new Error(`the file shrank while it was read (at offset ${position})`);
    return bytes;
  }

  async bytes(position: number, length: number): Promise<Uint8Array> {
    return this.peek(position, length) ?? (await this.load(position, length));
  }
}

const windowBytes = 1024 * 1024;

interface PendingRecord {
  readonly record: LogRecord;
  readonly place: RecordPlace;
}

/**
 * Verifies the segment and replays its complete writes into `replay`. Throws LogCorruptError for damage that is
 * not an interrupted last write; reports an interrupted write in the result, leaving the truncation to the caller.
 */
export async function scanSegment(input: {
  readonly file: ReadFile;
  readonly path: string;
  readonly fileBytes: number;
  readonly sequence: number;
  readonly isLast: boolean;
  readonly replay: Replay;
}): Promise<ScannedSegment> {
  const { file, path, fileBytes, isLast, replay } = input;
  const window = new FileWindow(file, fileBytes, windowBytes);
  const corrupt = (offset: number, problem: string): LogCorruptError =>
    new LogCorruptError(path, offset, problem);

  const header = decodeSegmentHeader(await window.bytes(0, Math.min(segmentHeaderBytes, fileBytes)));
  if (typeof header === 'string') throw corrupt(0, header);
  if (header.sequence !== input.sequence) {
    throw corrupt(12, `the header says segment ${header.sequence} but the file name says ${input.sequence}`);
  }
  const salt = header.salt;

  let position = segmentHeaderBytes;
  let write: BatchBounds | undefined;
  let pending: PendingRecord[] = [];
  let startLastIndex: number | undefined;
  let firstWriteEnd: number | undefined;
  let damage: { offset: number; problem: string } | undefined;

  for (;;) {
    if (position === fileBytes) {
      if (write !== undefined)
        damage = { offset: position, problem: 'the file ends in the middle of a write' };
      break;
    }
    if (fileBytes - position < frameHeaderBytes) {
      damage = { offset: position, problem: 'the file ends in the middle of a record header' };
      break;
    }
    const frameHeader = readFrameHeader(await window.bytes(position, frameHeaderBytes));
    const headerProblem = frameHeaderProblem(frameHeader, position, fileBytes);
    if (headerProblem !== undefined) {
      damage = { offset: position, problem: headerProblem };
      break;
    }
    const frame = await window.bytes(position, frameHeader.frameBytes);
    if (!frameChecksumMatches(frame, salt)) {
      damage = { offset: position, problem: 'the record checksum does not match' };
      break;
    }
    // The record is intact. Its write bounds must continue the write in progress or start a new one right here.
    if (write === undefined) {
      if (frameHeader.batchStart !== position) {
        throw corrupt(
          position,
          `an intact record says its write began at ${frameHeader.batchStart}, not here`,
        );
      }
      write = { start: frameHeader.batchStart, end: frameHeader.batchEnd };
    } else if (frameHeader.batchStart !== write.start || frameHeader.batchEnd !== write.end) {
      throw corrupt(
        position,
        'an intact record disagrees with the records before it about where its write lies',
      );
    }
    const decoded = decodeRecordBody(frame);
    if (typeof decoded === 'string') throw corrupt(position, decoded);
    if (decoded.type === 'start') startLastIndex = decoded.lastIndex;
    pending.push({
      record: withoutPayload(decoded),
      place: { file: path, segment: header.sequence, offset: position, bytes: frameHeader.frameBytes },
    });
    position += frameHeader.frameBytes;
    if (position === write.end) {
      // Only complete writes are replayed: a write is all-or-nothing.
      for (const { record, place } of pending)
        replay.apply(record, place, place.offset === segmentHeaderBytes);
      pending = [];
      write = undefined;
      firstWriteEnd ??= position;
    }
  }

  if (damage === undefined) {
    if (startLastIndex === undefined || firstWriteEnd === undefined) {
      throw corrupt(segmentHeaderBytes, 'the segment has no start record');
    }
    return { sequence: header.sequence, salt, validBytes: position, startLastIndex, firstWriteEnd };
  }

  if (!isLast) throw corrupt(damage.offset, `${damage.problem}, in a segment that is not the last one`);
  const writeStart = write?.start ?? damage.offset;
  if (writeStart === segmentHeaderBytes || startLastIndex === undefined || firstWriteEnd === undefined) {
    throw corrupt(
      damage.offset,
      `${damage.problem}, in the segment's first write (which is made durable before the segment is named)`,
    );
  }
  let writeEnd = write?.end;
  const trailingProblem = (end: number): LogCorruptError =>
    corrupt(
      damage.offset,
      `${damage.problem}, and ${fileBytes - end} bytes written after the damaged write follow it, so the damaged ` +
        'write had already been made durable',
    );
  if (writeEnd !== undefined && fileBytes > writeEnd) throw trailingProblem(writeEnd);

  // The damaged region may still hold intact pieces of the same interrupted write (its pages reach the disk in no
  // particular order), but never a record of a later write: a write starts only after the one before it is durable.
  for (const found of await intactRecordsAfter(window, salt, damage.offset + 1, fileBytes)) {
    if (found.batchStart !== writeStart) {
      throw corrupt(
        damage.offset,
        `${damage.problem}, yet an intact record of a later write follows at offset ${found.offset}`,
      );
    }
    writeEnd ??= found.batchEnd;
    if (fileBytes > writeEnd) throw trailingProblem(writeEnd);
  }
  return {
    sequence: header.sequence,
    salt,
    validBytes: writeStart,
    startLastIndex,
    firstWriteEnd,
    interruptedWrite: damage,
  };
}

function withoutPayload(record: LogRecord): LogRecord {
  // The payload is a view into the scan window, which is reused; replay needs only the entry's index and term.
  return record.type === 'entry'
    ? { type: 'entry', entry: { ...record.entry, data: new Uint8Array(0) } }
    : record;
}

interface IntactRecord {
  readonly offset: number;
  readonly batchStart: number;
  readonly batchEnd: number;
}

/**
 * Every intact record that starts in [from, fileBytes), found by trying each byte offset. Damage destroys record
 * boundaries, so there is no better place to resume; the cheap header checks reject nearly every offset before a
 * checksum is computed.
 */
async function intactRecordsAfter(
  window: FileWindow,
  salt: number,
  from: number,
  fileBytes: number,
): Promise<IntactRecord[]> {
  const found: IntactRecord[] = [];
  for (let offset = from; offset + frameHeaderBytes < fileBytes;) {
    const headerBytes =
      window.peek(offset, frameHeaderBytes) ?? (await window.load(offset, frameHeaderBytes));
    // Most offsets fail on the length alone (zeroed pages have length 0): test it before building anything.
    const bodyBytes =
      (headerBytes[0]! | (headerBytes[1]! << 8) | (headerBytes[2]! << 16) | (headerBytes[3]! << 24)) >>> 0;
    if (bodyBytes === 0 || offset + frameHeaderBytes + bodyBytes > fileBytes) {
      offset++;
      continue;
    }
    const frameHeader = readFrameHeader(headerBytes);
    if (frameHeaderProblem(frameHeader, offset, fileBytes) === undefined) {
      const frame = await window.bytes(offset, frameHeader.frameBytes);
      if (frameChecksumMatches(frame, salt)) {
        found.push({ offset, batchStart: frameHeader.batchStart, batchEnd: frameHeader.batchEnd });
        offset += frameHeader.frameBytes;
        continue;
      }
    }
    offset++;
  }
  return found;
}
