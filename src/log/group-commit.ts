// The log's only writer. Requests are queued in call order; one write and one fsync are in flight at a time, and
// every request that arrives meanwhile joins the next write: that is group commit, and it is what lets many
// concurrent clients share the cost of one fsync. A request's promise resolves only after the fsync that covers
// all of its records; records of one request always go into the same write, so after a crash a request is either
// entirely on disk or not at all.
import type { AppendFile, LogDisk } from './disk.js';
import type { EntryLocation } from './entry-index.js';
import { LogFailedError } from './errors.js';
import { encodeRecord, recordBytes, type LogRecord } from './record.js';
import { advanceShape, type LogShape } from './replay.js';
import { createSegment, type DiskCounters, type SegmentSet } from './segments.js';

export interface WriteRequest {
  /** Unique and positive: marks the request's entries in the index until they are written. */
  readonly id: number;
  readonly records: readonly LogRecord[];
  /** The request's size on disk, framing included. */
  readonly bytes: number;
  /** True when the request holds a compaction record, after which old segments may be deleted. */
  readonly compacts: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export interface WrittenEntry {
  readonly writeId: number;
  readonly index: number;
  readonly location: EntryLocation;
}

export interface GroupCommitWriterInput {
  readonly directory: string;
  readonly disk: LogDisk;
  readonly segments: SegmentSet;
  readonly file: AppendFile;
  /** The log as the records on disk describe it; the writer keeps it current. */
  readonly shape: LogShape;
  readonly segmentBytesMax: number;
  readonly batchBytesMax: number;
  readonly counters: DiskCounters;
  readonly onEntriesWritten: (entries: readonly WrittenEntry[]) => void;
  readonly onSegmentsDeleted: () => void;
}

// Record offsets are stored as 32-bit fields; option limits keep every segment far below this.
const segmentOffsetMax = 0xffff_ffff;

export function requestBytes(records: readonly LogRecord[]): number {
  return records.reduce((sum, record) => sum + recordBytes(record), 0);
}

export class GroupCommitWriter {
  private readonly queue: WriteRequest[] = [];
  private queueHead = 0;
  private unwrittenBytes = 0;
  private draining = false;
  private scheduled = false;
  private failure: LogFailedError | undefined;
  private file: AppendFile;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly input: GroupCommitWriterInput) {
    this.file = input.file;
  }

  /** Bytes accepted but not yet durable. */
  get pendingBytes(): number {
    return this.unwrittenBytes;
  }

  /** Set once a disk operation failed; every later request is refused with it. */
  get failed(): LogFailedError | undefined {
    return this.failure;
  }

  enqueue(request: WriteRequest): void {
    if (this.failure !== undefined) {
      request.reject(this.failure);
      return;
    }
    this.queue.push(request);
    this.unwrittenBytes += request.bytes;
    if (!this.draining && !this.scheduled) {
      // Start on the next tick rather than now, so that every request made in the same turn of the event loop
      // (a loop of persist() calls, or many clients woken by one completed write) shares the first write.
      this.scheduled = true;
      process.nextTick(() => void this.drain());
    }
  }

  /** Resolves when every request queued so far has completed (or failed). */
  whenIdle(): Promise<void> {
    if (!this.draining && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for queued requests, then closes the active segment's file. */
  async close(): Promise<void> {
    await this.whenIdle();
    await this.file.close();
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.draining = true;
    try {
      while (this.queueHead < this.queue.length && this.failure === undefined) {
        const batch = this.takeBatch();
        try {
          await this.write(batch);
          if (batch.some((request) => request.compacts)) await this.deleteCompactedSegments();
        } catch (error) {
          this.fail(error, batch);
          break;
        }
        for (const request of batch) {
          this.unwrittenBytes -= request.bytes;
          request.resolve();
        }
      }
    } finally {
      this.draining = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private takeBatch(): WriteRequest[] {
    const batch: WriteRequest[] = [];
    let bytes = 0;
    while (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead]!;
      if (batch.length > 0 && bytes + next.bytes > this.input.batchBytesMax) break;
      batch.push(next);
      bytes += next.bytes;
      this.queueHead++;
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    return batch;
  }

  private async write(batch: readonly WriteRequest[]): Promise<void> {
    const bytes = batch.reduce((sum, request) => sum + request.bytes, 0);
    if (bytes === 0) return; // only barriers: nothing to write, and everything before them is already durable
    const { segments, counters } = this.input;
    let segment = segments.active;
    const full = segment.bytes + bytes > this.input.segmentBytesMax;
    // A write larger than a whole segment still goes into one segment: roll only if the segment holds more than
    // its first write, so that an oversized write never leaves an empty segment behind.
    if (full && segment.bytes > segment.firstWriteEnd) {
      await this.roll();
      segment = segments.active;
    }
    const start = segment.bytes;
    const end = start + bytes;
    if (end > segmentOffsetMax) throw new Error(`segment ${segment.path} would grow past 4 GiB`);

    const buffer = Buffer.allocUnsafe(bytes);
    const written: WrittenEntry[] = [];
    let position = 0;
    for (const request of batch) {
      for (const record of request.records) {
        const size = encodeRecord(buffer, position, record, { start, end }, segment.salt);
        if (record.type === 'entry') {
          written.push({
            writeId: request.id,
            index: record.entry.index,
            location: { segment: segment.sequence, offset: start + position, bytes: size },
          });
        }
        position += size;
      }
    }
    if (position !== bytes) throw new Error(`writer invariant: encoded ${position} bytes, expected ${bytes}`);

    await this.file.write(buffer, start);
    await this.file.sync();
    counters.writes++;
    counters.bytesWritten += bytes;
    counters.fileSyncs++;
    segment.bytes = end;
    for (const request of batch) for (const record of request.records) advanceShape(this.input.shape, record);
    this.input.onEntriesWritten(written);
  }

  private async roll(): Promise<void> {
    const { segments } = this.input;
    const created = await createSegment({
      disk: this.input.disk,
      directory: this.input.directory,
      sequence: segments.active.sequence + 1,
      shape: this.input.shape,
      counters: this.input.counters,
    });
    const previous = this.file;
    this.file = created.file;
    segments.add(created.segment);
    await previous.close();
  }

  /**
   * Deletes the oldest segments while they hold nothing the log still needs. A segment is needed while the next
   * segment's start record names a last index beyond the durable compaction point: entries up to that index may
   * still live in older segments, and recovery must find them there.
   */
  private async deleteCompactedSegments(): Promise<void> {
    const { segments, disk, counters, shape } = this.input;
    let deleted = 0;
    for (;;) {
      const next = segments.secondOldest;
      if (next === undefined || next.startLastIndex > shape.baseIndex) break;
      const oldest = segments.removeOldest();
      await disk.remove(oldest.path);
      deleted++;
      counters.segmentsDeleted++;
    }
    if (deleted > 0) {
      await disk.syncDirectory(this.input.directory);
      counters.directorySyncs++;
      this.input.onSegmentsDeleted();
    }
  }

  private fail(cause: unknown, batch: readonly WriteRequest[]): void {
    this.failure = new LogFailedError(cause);
    const waiting = [...batch, ...this.queue.slice(this.queueHead)];
    this.queue.length = 0;
    this.queueHead = 0;
    this.unwrittenBytes = 0;
    for (const request of waiting) request.reject(this.failure);
  }
}
