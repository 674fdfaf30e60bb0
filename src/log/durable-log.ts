// The durable Raft log: entries and hard state in segmented, checksummed files. Reads are synchronous and answer
// from memory (terms, indexes, hard state, recent entries) or from one positioned read; writes are asynchronous,
// group-committed and durable when their promise resolves. See DESIGN.md for the format and the recovery rules.
import { nodeDisk, type AppendFile, type LogDisk } from './disk.js';
import { EntryCache } from './entry-cache.js';
import type { EntryIndex } from './entry-index.js';
import {
  LogClosedError,
  LogCompactedError,
  LogCorruptError,
  LogOverloadedError,
  LogUsageError,
} from './errors.js';
import { GroupCommitWriter, requestBytes, type WrittenEntry } from './group-commit.js';
import { resolveLogLimits, type DurableLogOptions, type LogLimits } from './options.js';
import { decodeRecordBody, frameChecksumMatches, type LogRecord } from './record.js';
import { recoverLog } from './recovery.js';
import type { LogShape } from './replay.js';
import { newDiskCounters, type DiskCounters, type SegmentSet } from './segments.js';
import { consoleWarningSink, type HardState, type LogEntry, type LogUpdate } from './types.js';
import {
  checkEntries,
  checkHardState,
  planSnapshot,
  type LogView,
  type SnapshotOutline,
} from './update-rules.js';

export interface LogStats {
  readonly segments: number;
  /** Bytes of complete writes in all segments. */
  readonly bytes: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly cachedEntries: number;
  readonly cachedBytes: number;
  /** Bytes accepted by persist() or compact() and not yet durable. */
  readonly pendingBytes: number;
  /** Writes (each followed by one fsync) since open, segment creation included. */
  readonly writes: number;
  readonly bytesWritten: number;
  readonly fileSyncs: number;
  readonly directorySyncs: number;
  readonly segmentsCreated: number;
  readonly segmentsDeleted: number;
}

interface WriterSetup {
  readonly directory: string;
  readonly disk: LogDisk;
  readonly file: AppendFile;
}

// Entries read from disk in one positioned read at most; larger entries are read alone.
const readChunkBytesMax = 1024 * 1024;

export class DurableLog {
  private readonly cache: EntryCache;
  private readonly writer: GroupCommitWriter;
  /** What the update rules see of the log. */
  private readonly view: LogView;
  private nextWriteId = 1;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly limits: LogLimits,
    private readonly segments: SegmentSet,
    private readonly counters: DiskCounters,
    /** The log as accepted calls describe it; ahead of the disk while writes are in flight. */
    private readonly shape: LogShape,
    /** Entries firstIndex..lastIndex: always `shape.baseIndex + 1` to `shape.lastIndex`. */
    private readonly index: EntryIndex,
    writerSetup: WriterSetup,
  ) {
    this.cache = new EntryCache(limits.cacheBytesMax);
    this.view = { shape, term: (entryIndex) => index.term(entryIndex), entryBytesMax: limits.entryBytesMax };
    this.writer = new GroupCommitWriter({
      ...writerSetup,
      segments,
      counters,
      // The writer keeps its own copy: it describes what is on disk, which lags the accepted state.
      shape: { ...shape },
      segmentBytesMax: limits.segmentBytesMax,
      batchBytesMax: limits.batchBytesMax,
      onEntriesWritten: (entries) => this.entriesWritten(entries),
      onSegmentsDeleted: () => this.checkSegmentsCoverEntries(),
    });
  }

  /**
   * Opens the log in `directory` (created if missing), recovering it from its segments: an interrupted last
   * write is cut off with a warning; any other damage fails with LogCorruptError.
   */
  static async open(directory: string, options: DurableLogOptions = {}): Promise<DurableLog> {
    const limits = resolveLogLimits(options);
    const disk = options.disk ?? nodeDisk;
    const counters = newDiskCounters();
    const recovered = await recoverLog({
      directory,
      disk,
      warnings: options.warnings ?? consoleWarningSink,
      counters,
    });
    return new DurableLog(limits, recovered.segments, counters, { ...recovered.shape }, recovered.index, {
      directory,
      disk,
      file: recovered.file,
    });
  }

  /** The index of the first entry; `lastIndex() + 1` when the log holds no entries. */
  firstIndex(): number {
    this.checkOpen();
    return this.shape.baseIndex + 1;
  }

  lastIndex(): number {
    this.checkOpen();
    return this.shape.lastIndex;
  }

  /**
   * The term of entry `index`, for `firstIndex() - 1` (the compaction point, answered from its marker) through
   * `lastIndex()`; undefined outside that range.
   */
  term(index: number): number | undefined {
    this.checkOpen();
    if (index === this.shape.baseIndex) return this.shape.baseTerm;
    return this.index.term(index);
  }

  /**
   * Entries `lo` (inclusive) to `hi` (exclusive), stopping before the payloads would exceed `maxBytes` but always
   * returning at least one entry when `lo < hi`. Returned payloads must not be changed.
   */
  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): LogEntry[] {
    this.checkOpen();
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) {
      throw new LogUsageError(`entries(${lo}, ${hi}): the range must be two integers with lo <= hi`);
    }
    if (lo < this.shape.baseIndex + 1) throw new LogCompactedError(lo, this.shape.baseIndex + 1);
    if (hi > this.shape.lastIndex + 1) {
      throw new LogUsageError(`entries(${lo}, ${hi}): the log ends at ${this.shape.lastIndex}`);
    }
    const result: LogEntry[] = [];
    let bytes = 0;
    const fits = (entry: LogEntry): boolean =>
      result.length === 0 || bytes + entry.data.byteLength <= maxBytes;
    let next = lo;
    while (next < hi) {
      const cached = this.cache.get(next);
      if (cached !== undefined) {
        if (!fits(cached)) break;
        result.push(cached);
        bytes += cached.data.byteLength;
        next++;
        continue;
      }
      const run = this.readRun(next, hi, maxBytes - bytes);
      for (const entry of run) {
        if (!fits(entry)) return result;
        result.push(entry);
        bytes += entry.data.byteLength;
      }
      next += run.length;
    }
    return result;
  }

  /** The hard state as of the last accepted persist(). */
  hardState(): HardState {
    this.checkOpen();
    return this.shape.hardState;
  }

  /**
   * Makes `update` durable, atomically: resolves after the fsync that covers it, and after a crash either all of
   * it is on disk or none. The new state is visible to reads at once. The parts apply in this order:
   * `snapshot` (as compact() describes), then `entries` (which first truncate the log from their index when it
   * is at or below lastIndex(), never at or below the commit index), then `hardState`. Calls are written in call
   * order; concurrent calls share writes and fsyncs.
   */
  async persist(update: LogUpdate): Promise<void> {
    this.checkWritable();
    const records: LogRecord[] = [];
    const outline = planSnapshot(this.view, update.snapshot, records);
    const entries = update.entries ?? [];
    const first = entries[0];
    let lastAfter = outline.lastIndex;
    let truncateFrom: number | undefined;
    if (first !== undefined) {
      checkEntries(this.view, entries, outline);
      if (first.index <= outline.lastIndex) {
        truncateFrom = first.index;
        records.push({ type: 'truncate', fromIndex: first.index });
      }
      for (const entry of entries) records.push({ type: 'entry', entry });
      lastAfter = entries[entries.length - 1]!.index;
    }
    if (update.hardState !== undefined) {
      checkHardState(this.shape.hardState, update.hardState, lastAfter);
      records.push({ type: 'hardState', hardState: { ...update.hardState } });
    }
    const bytes = requestBytes(records);
    this.checkRoom(bytes);

    // Accepted: make it visible, then queue it.
    const writeId = this.nextWriteId++;
    if (outline.compacts) this.applyCompaction(outline);
    if (truncateFrom !== undefined) {
      this.index.truncateFrom(truncateFrom);
      this.cache.truncateFrom(truncateFrom);
    }
    for (const entry of entries) {
      this.index.appendNotWritten(entry.index, entry.term, writeId);
      this.cache.append(entry);
    }
    this.shape.lastIndex = lastAfter;
    if (update.hardState !== undefined) this.shape.hardState = { ...update.hardState };
    return this.submit(writeId, records, bytes, outline.compacts);
  }

  /**
   * Drops entries up to `throughIndex`, which a snapshot ending with term `throughTerm` now holds. Afterwards
   * firstIndex() is `throughIndex + 1` and term(throughIndex) is `throughTerm`. If the log's entry at
   * `throughIndex` has another term, or the log ends before it, the log is emptied (the snapshot wins). Whole
   * segments that hold only compacted entries are deleted once the compaction is durable. To install a snapshot
   * received from a leader together with the hard state that commits it, pass both to one persist() instead.
   */
  compact(throughIndex: number, throughTerm: number): Promise<void> {
    return this.persist({ snapshot: { index: throughIndex, term: throughTerm } });
  }

  private applyCompaction(outline: SnapshotOutline): void {
    if (outline.conflicting) {
      this.index.truncateFrom(outline.baseIndex);
      this.cache.truncateFrom(outline.baseIndex);
    }
    this.index.dropThrough(outline.baseIndex);
    this.cache.dropThrough(outline.baseIndex);
    if (this.index.firstIndex !== outline.baseIndex + 1)
      throw new Error('log invariant: compaction left a gap');
    this.shape.baseIndex = outline.baseIndex;
    this.shape.baseTerm = outline.baseTerm;
    this.shape.lastIndex = outline.lastIndex;
  }

  /** Waits for accepted writes to become durable, then closes the files. Later calls fail with LogClosedError. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.writer.close();
      } finally {
        this.segments.closeReaders();
      }
    })();
    return this.closing;
  }

  stats(): LogStats {
    return {
      segments: this.segments.count,
      bytes: this.segments.totalBytes,
      firstIndex: this.shape.baseIndex + 1,
      lastIndex: this.shape.lastIndex,
      cachedEntries: this.cache.count,
      cachedBytes: this.cache.bytes,
      pendingBytes: this.writer.pendingBytes,
      ...this.counters,
    };
  }

  private submit(
    writeId: number,
    records: readonly LogRecord[],
    bytes: number,
    compacts: boolean,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writer.enqueue({ id: writeId, records, bytes, compacts, resolve, reject });
    });
  }

  private entriesWritten(entries: readonly WrittenEntry[]): void {
    for (const { index, writeId, location } of entries) this.index.markWritten(index, writeId, location);
    this.cache.evict((index) => this.index.isWritten(index));
  }

  /** After segments are deleted, every written entry must still be in a remaining segment. */
  private checkSegmentsCoverEntries(): void {
    const first = this.index.location(this.index.firstIndex);
    if (first !== undefined && first.segment < this.segments.oldest.sequence) {
      throw new Error(
        `log invariant: entry ${this.index.firstIndex} is in deleted segment ${first.segment} ` +
          `(the oldest remaining is ${this.segments.oldest.sequence})`,
      );
    }
  }

  /**
   * Reads uncached entries from `from` on with one positioned read: a run of records that lie back to back in
   * one segment, bounded by `hi`, a read size and roughly the remaining byte budget.
   */
  private readRun(from: number, hi: number, budgetBytes: number): LogEntry[] {
    const first = this.index.location(from);
    if (first === undefined) throw new Error(`log invariant: entry ${from} is neither cached nor written`);
    let end = from + 1;
    let runBytes = first.bytes;
    while (end < hi && runBytes < budgetBytes && this.cache.get(end) === undefined) {
      const location = this.index.location(end);
      if (
        location === undefined ||
        location.segment !== first.segment ||
        location.offset !== first.offset + runBytes ||
        runBytes + location.bytes > readChunkBytesMax
      ) {
        break;
      }
      runBytes += location.bytes;
      end++;
    }
    const segment = this.segments.bySequence(first.segment);
    if (segment === undefined)
      throw new Error(`log invariant: entry ${from} is in missing segment ${first.segment}`);
    const buffer = new Uint8Array(runBytes);
    const read = this.segments.reader(segment).readSync(buffer, first.offset);
    if (read !== runBytes) {
      throw new LogCorruptError(
        segment.path,
        first.offset + read,
        'the file ends before records it held at open',
      );
    }
    const result: LogEntry[] = [];
    let position = 0;
    for (let index = from; index < end; index++) {
      const size = this.index.location(index)!.bytes;
      const frame = buffer.subarray(position, position + size);
      const offset = first.offset + position;
      if (!frameChecksumMatches(frame, segment.salt)) {
        throw new LogCorruptError(
          segment.path,
          offset,
          `the record of entry ${index} no longer matches its checksum`,
        );
      }
      const record = decodeRecordBody(frame);
      if (typeof record === 'string' || record.type !== 'entry' || record.entry.index !== index) {
        throw new LogCorruptError(segment.path, offset, `the record here is not entry ${index}`);
      }
      if (record.entry.term !== this.index.term(index)) {
        throw new LogCorruptError(
          segment.path,
          offset,
          `entry ${index} has term ${record.entry.term} on disk`,
        );
      }
      result.push(record.entry);
      position += size;
    }
    return result;
  }

  private checkRoom(bytes: number): void {
    const pending = this.writer.pendingBytes;
    if (
      bytes > this.limits.pendingBytesMax ||
      (pending > 0 && pending + bytes > this.limits.pendingBytesMax)
    ) {
      throw new LogOverloadedError(
        `the log has ${pending} bytes waiting to be written and cannot accept ${bytes} more ` +
          `(pendingBytesMax is ${this.limits.pendingBytesMax}); wait for earlier writes or send smaller batches`,
      );
    }
  }

  private checkOpen(): void {
    if (this.closing !== undefined) throw new LogClosedError();
  }

  private checkWritable(): void {
    this.checkOpen();
    const failure = this.writer.failed;
    if (failure !== undefined) throw failure;
  }
}
