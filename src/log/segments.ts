// The log's segment files, oldest first, and the one way a segment comes into being: complete and durable under a
// temporary name, then renamed. A segment file name that exists therefore always has a valid header and start
// write, which is what lets recovery treat any damage there as corruption.
import { randomInt } from 'node:crypto';
import path from 'node:path';

import type { AppendFile, LogDisk, ReadFile } from './disk.js';
import { encodeRecord, recordBytes, type LogRecord } from './record.js';
import type { LogShape } from './replay.js';
import {
  encodeSegmentHeader,
  segmentFileName,
  segmentHeaderBytes,
  segmentSequenceMax,
  temporarySuffix,
} from './segment-file.js';

export interface Segment {
  readonly sequence: number;
  readonly path: string;
  readonly salt: number;
  /** Bytes of complete writes: the offset of the next write. */
  bytes: number;
  /** The end of the segment's first write (its start record and hard state). */
  readonly firstWriteEnd: number;
  /** The log's last index when the segment began: every entry still live in older segments is at most this. */
  readonly startLastIndex: number;
}

/** Counters of the disk operations that cost: exposed through stats() and used by tests. */
export interface DiskCounters {
  writes: number;
  bytesWritten: number;
  fileSyncs: number;
  directorySyncs: number;
  segmentsCreated: number;
  segmentsDeleted: number;
}

export function newDiskCounters(): DiskCounters {
  return {
    writes: 0,
    bytesWritten: 0,
    fileSyncs: 0,
    directorySyncs: 0,
    segmentsCreated: 0,
    segmentsDeleted: 0,
  };
}

export class SegmentSet {
  private readonly list: Segment[] = [];
  private readonly readers = new Map<number, ReadFile>();

  constructor(private readonly disk: LogDisk) {}

  get count(): number {
    return this.list.length;
  }

  get totalBytes(): number {
    return this.list.reduce((sum, segment) => sum + segment.bytes, 0);
  }

  get active(): Segment {
    const last = this.list[this.list.length - 1];
    if (last === undefined) throw new Error('segment set invariant: no segments');
    return last;
  }

  get oldest(): Segment {
    return this.list[0] ?? this.active;
  }

  /** The segment after the oldest, if there is one. */
  get secondOldest(): Segment | undefined {
    return this.list[1];
  }

  add(segment: Segment, reader?: ReadFile): void {
    const last = this.list[this.list.length - 1];
    if (last !== undefined && segment.sequence !== last.sequence + 1) {
      throw new Error(`segment set invariant: segment ${segment.sequence} added after ${last.sequence}`);
    }
    this.list.push(segment);
    if (reader !== undefined) this.readers.set(segment.sequence, reader);
  }

  bySequence(sequence: number): Segment | undefined {
    const first = this.list[0];
    return first === undefined ? undefined : this.list[sequence - first.sequence];
  }

  /** A synchronous reader for the segment, opened on first use and kept until the segment is removed. */
  reader(segment: Segment): ReadFile {
    let reader = this.readers.get(segment.sequence);
    if (reader === undefined) {
      reader = this.disk.openRead(segment.path);
      this.readers.set(segment.sequence, reader);
    }
    return reader;
  }

  removeOldest(): Segment {
    if (this.list.length < 2) throw new Error('segment set invariant: the active segment cannot be removed');
    const segment = this.list.shift()!;
    this.readers.get(segment.sequence)?.close();
    this.readers.delete(segment.sequence);
    return segment;
  }

  closeReaders(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }
}

/**
 * Creates segment `sequence` durably: header, start record and hard state are written and synced under a
 * temporary name, then the file is renamed and the directory synced. Returns the segment with the file open for
 * appending.
 */
export async function createSegment(input: {
  readonly disk: LogDisk;
  readonly directory: string;
  readonly sequence: number;
  readonly shape: LogShape;
  readonly counters: DiskCounters;
}): Promise<{ segment: Segment; file: AppendFile }> {
  const { disk, directory, sequence, shape, counters } = input;
  if (sequence > segmentSequenceMax) throw new Error(`the log has used every segment number (${sequence})`);
  const salt = randomInt(0, 0x1_0000_0000);
  const records: LogRecord[] = [
    { type: 'start', baseIndex: shape.baseIndex, baseTerm: shape.baseTerm, lastIndex: shape.lastIndex },
    { type: 'hardState', hardState: shape.hardState },
  ];
  const size = records.reduce((sum, record) => sum + recordBytes(record), segmentHeaderBytes);
  const bytes = new Uint8Array(size);
  bytes.set(encodeSegmentHeader({ sequence, salt }), 0);
  let position = segmentHeaderBytes;
  for (const record of records) {
    position += encodeRecord(bytes, position, record, { start: segmentHeaderBytes, end: size }, salt);
  }

  const finalPath = path.join(directory, segmentFileName(sequence));
  const temporaryPath = finalPath + temporarySuffix;
  const file = await disk.createFile(temporaryPath);
  try {
    await file.write(bytes, 0);
    await file.sync();
    counters.writes++;
    counters.bytesWritten += size;
    counters.fileSyncs++;
    await disk.rename(temporaryPath, finalPath);
    await disk.syncDirectory(directory);
    counters.directorySyncs++;
    counters.segmentsCreated++;
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
  return {
    segment: {
      sequence,
      path: finalPath,
      salt,
      bytes: size,
      firstWriteEnd: size,
      startLastIndex: shape.lastIndex,
    },
    file,
  };
}
