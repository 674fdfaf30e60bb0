// The append messages sent to one follower and not yet acknowledged, bounded in count and in bytes. A
// follower in the replicate state receives appends back to back (pipelining) until this window fills.

import { RaftInvariantError } from './errors.js';

export class Inflights {
  // A ring buffer of (last index of the message, payload bytes of the message).
  private readonly lastIndexes: number[];
  private readonly sizes: number[];
  private start = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly messagesMax: number,
    private readonly bytesMax: number,
  ) {
    this.lastIndexes = new Array<number>(messagesMax).fill(0);
    this.sizes = new Array<number>(messagesMax).fill(0);
  }

  /** Records a message whose last entry is `lastIndex`. Indexes must increase. */
  add(lastIndex: number, bytes: number): void {
    if (this.count === this.messagesMax) {
      throw new RaftInvariantError('an append was sent to a follower whose in-flight window is full');
    }
    if (this.count > 0) {
      const newest = this.lastIndexes[(this.start + this.count - 1) % this.messagesMax] as number;
      if (lastIndex <= newest) {
        throw new RaftInvariantError(`in-flight index ${lastIndex} does not follow ${newest}`);
      }
    }
    const slot = (this.start + this.count) % this.messagesMax;
    this.lastIndexes[slot] = lastIndex;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is at or below `index` (they were acknowledged). */
  freeUpTo(index: number): void {
    while (this.count > 0 && (this.lastIndexes[this.start] as number) <= index) {
      this.bytes -= this.sizes[this.start] as number;
      this.start = (this.start + 1) % this.messagesMax;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  isFull(): boolean {
    return this.count === this.messagesMax || this.bytes >= this.bytesMax;
  }

  size(): number {
    return this.count;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
