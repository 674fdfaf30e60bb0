// The in-memory index of a contiguous run of log entries: each entry's term and where its record lies on disk.
// It keeps a few numbers per entry and never the payloads, so that terms and lengths are answered without I/O
// however long the log grows. Columns are plain arrays (one per field) rather than an object per entry: a
// million-entry log costs tens of megabytes, not hundreds.

/** Where an entry's record is: a segment and the record's offset and size within it. */
export interface EntryLocation {
  readonly segment: number;
  readonly offset: number;
  readonly bytes: number;
}

/** The segment number that marks an entry accepted but not yet written; its offset column holds the write's id. */
const notWritten = 0;
// Dropping a prefix with splice() copies the remaining entries; doing it only when the dead prefix is large
// keeps repeated compaction linear overall.
const headReclaimMin = 4096;

export class EntryIndex {
  private first: number;
  private head = 0;
  private readonly terms: number[] = [];
  private readonly segments: number[] = [];
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];

  /** An empty index whose next entry will be `nextIndex`. */
  constructor(nextIndex: number) {
    this.first = nextIndex;
  }

  get firstIndex(): number {
    return this.first;
  }

  get lastIndex(): number {
    return this.first + this.count - 1;
  }

  get count(): number {
    return this.terms.length - this.head;
  }

  /** Forgets every entry; the next one appended will be `nextIndex`. */
  reset(nextIndex: number): void {
    this.first = nextIndex;
    this.head = 0;
    this.terms.length = this.segments.length = this.offsets.length = this.sizes.length = 0;
  }

  appendWritten(index: number, term: number, location: EntryLocation): void {
    this.append(index, term, location.segment, location.offset, location.bytes);
  }

  /** Adds an entry that is queued for writing by the write `writeId`. */
  appendNotWritten(index: number, term: number, writeId: number): void {
    this.append(index, term, notWritten, writeId, 0);
  }

  private append(index: number, term: number, segment: number, offset: number, bytes: number): void {
    if (index !== this.lastIndex + 1) {
      throw new Error(`entry index invariant: appended ${index} after ${this.lastIndex}`);
    }
    this.terms.push(term);
    this.segments.push(segment);
    this.offsets.push(offset);
    this.sizes.push(bytes);
  }

  /** Records where the write `writeId` put entry `index`, if that entry is still the one the write carried. */
  markWritten(index: number, writeId: number, location: EntryLocation): void {
    const slot = this.slot(index);
    if (slot === undefined || this.segments[slot] !== notWritten || this.offsets[slot] !== writeId) return;
    this.segments[slot] = location.segment;
    this.offsets[slot] = location.offset;
    this.sizes[slot] = location.bytes;
  }

  term(index: number): number | undefined {
    const slot = this.slot(index);
    return slot === undefined ? undefined : this.terms[slot];
  }

  /** The entry's location on disk; undefined when it is outside the index or not written yet. */
  location(index: number): EntryLocation | undefined {
    const slot = this.slot(index);
    if (slot === undefined || this.segments[slot] === notWritten) return undefined;
    return { segment: this.segments[slot]!, offset: this.offsets[slot]!, bytes: this.sizes[slot]! };
  }

  isWritten(index: number): boolean {
    const slot = this.slot(index);
    return slot !== undefined && this.segments[slot] !== notWritten;
  }

  /** Removes `fromIndex` and every later entry. */
  truncateFrom(fromIndex: number): void {
    if (fromIndex > this.lastIndex) return;
    if (fromIndex <= this.first) {
      this.reset(fromIndex);
      return;
    }
    const keep = this.head + (fromIndex - this.first);
    this.terms.length = this.segments.length = this.offsets.length = this.sizes.length = keep;
  }

  /** Removes `throughIndex` and every earlier entry. */
  dropThrough(throughIndex: number): void {
    if (throughIndex < this.first) return;
    if (throughIndex >= this.lastIndex) {
      this.reset(throughIndex + 1);
      return;
    }
    this.head += throughIndex - this.first + 1;
    this.first = throughIndex + 1;
    if (this.head >= headReclaimMin && this.head * 2 >= this.terms.length) {
      for (const column of [this.terms, this.segments, this.offsets, this.sizes]) column.splice(0, this.head);
      this.head = 0;
    }
  }

  private slot(index: number): number | undefined {
    if (index < this.first || index > this.lastIndex) return undefined;
    return this.head + (index - this.first);
  }
}
