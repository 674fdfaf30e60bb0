// A bounded cache of the newest entries. Raft reads what was just appended (to send it to followers and to apply
// it), so the cache holds a contiguous run that ends at the log's last entry. Entries not yet written to disk
// exist nowhere else and are never evicted; written ones are evicted oldest first once the cache holds more than
// its byte budget.
import type { LogEntry } from './types.js';

export class EntryCache {
  private first = 1;
  private head = 0;
  // Evicted slots at the front are set to undefined until the array is compacted.
  private readonly entries: (LogEntry | undefined)[] = [];
  private payloadBytes = 0;

  constructor(private readonly bytesMax: number) {}

  get bytes(): number {
    return this.payloadBytes;
  }

  get count(): number {
    return this.entries.length - this.head;
  }

  get(index: number): LogEntry | undefined {
    if (index < this.first) return undefined;
    return this.entries[this.head + index - this.first];
  }

  /** Appends the entry that follows the cached run (or starts a new run when the cache is empty). */
  append(entry: LogEntry): void {
    if (this.count === 0) {
      this.clear();
      this.first = entry.index;
    } else if (entry.index !== this.first + this.count) {
      throw new Error(`entry cache invariant: appended ${entry.index} after ${this.first + this.count - 1}`);
    }
    this.entries.push(entry);
    this.payloadBytes += entry.data.byteLength;
  }

  /** Removes `fromIndex` and every later entry. */
  truncateFrom(fromIndex: number): void {
    while (this.count > 0 && this.first + this.count - 1 >= fromIndex) {
      this.payloadBytes -= this.entries.pop()!.data.byteLength;
    }
  }

  /** Removes `throughIndex` and every earlier entry. */
  dropThrough(throughIndex: number): void {
    while (this.count > 0 && this.first <= throughIndex) this.removeOldest();
  }

  clear(): void {
    this.entries.length = 0;
    this.head = 0;
    this.payloadBytes = 0;
  }

  /** Evicts the oldest entries while over budget, stopping at the first one `isEvictable` refuses. */
  evict(isEvictable: (index: number) => boolean): void {
    while (this.payloadBytes > this.bytesMax && this.count > 0 && isEvictable(this.first))
      this.removeOldest();
  }

  private removeOldest(): void {
    this.payloadBytes -= this.entries[this.head]!.data.byteLength;
    this.entries[this.head] = undefined;
    this.head++;
    this.first++;
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
