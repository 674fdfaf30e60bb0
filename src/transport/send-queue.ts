// The messages waiting for one peer, bounded in count and in bytes: when the peer cannot keep up, new
// messages are refused (and the peer reported unreachable) instead of letting memory grow. Raft resends
// what was lost, so dropping is safe; growing without bound is not.

export interface SendBatch {
  readonly messages: Uint8Array[];
  readonly bytes: number;
}

export class SendQueue {
  private items: Uint8Array[] = [];
  /** Index of the first item still queued; taken items before it are dropped in bulk. */
  private head = 0;
  private queuedBytes = 0;

  constructor(
    readonly messagesMax: number,
    readonly bytesMax: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Adds an encoded message; false (and nothing queued) when either bound would be exceeded. */
  push(message: Uint8Array): boolean {
    if (this.length >= this.messagesMax || this.queuedBytes + message.byteLength > this.bytesMax)
      return false;
    this.items.push(message);
    this.queuedBytes += message.byteLength;
    return true;
  }

  /**
   * Takes messages from the front up to `bytesMax` in total, and always at least one, so that a single
   * message larger than the batch still goes out.
   */
  take(bytesMax: number): SendBatch {
    const messages: Uint8Array[] = [];
    let bytes = 0;
    while (this.head < this.items.length) {
      const next = this.items[this.head]!;
      if (messages.length > 0 && bytes + next.byteLength > bytesMax) break;
      messages.push(next);
      bytes += next.byteLength;
      this.head++;
    }
    this.queuedBytes -= bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { messages, bytes };
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
  }
}
