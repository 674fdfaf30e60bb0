// A one-way, single-consumer stream of byte chunks with a bound on what it holds: the receiving side of a
// snapshot transfer. The producer (the socket) pushes; when the consumer falls behind by more than the
// bound, `push` returns false and the producer stops reading until `onDemand` says to go on, so a
// snapshot of any size passes through a fixed amount of memory.

import { TransportUsageError } from './errors.js';

interface Waiter {
  readonly resolve: (result: IteratorResult<Uint8Array>) => void;
  readonly reject: (error: Error) => void;
}

export class ByteChannel implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiter: Waiter | undefined;
  private iterating = false;
  private wasFull = false;
  private consumerLeft = false;

  constructor(
    private readonly bufferedBytesMax: number,
    /** The consumer has drained the channel below its bound: the producer may read again. */
    private readonly onDemand: () => void,
    /** The consumer stopped iterating before the end. */
    private readonly onAbandon: () => void,
  ) {}

  /** Whether the consumer has read every chunk and the end. */
  get finished(): boolean {
    return this.ended && this.failure === undefined && this.chunks.length === 0;
  }

  get abandoned(): boolean {
    return this.consumerLeft;
  }

  /** Adds a chunk; false when the channel is at its bound and the producer should pause. */
  push(chunk: Uint8Array): boolean {
    if (this.ended || this.failure !== undefined)
      throw new TransportUsageError('push after the channel ended');
    if (this.consumerLeft) return true;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return true;
    }
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.byteLength;
    this.wasFull = this.bufferedBytes >= this.bufferedBytesMax;
    return !this.wasFull;
  }

  end(): void {
    if (this.ended || this.failure !== undefined) return;
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  /** Ends the stream with an error: the consumer's next read throws it (after nothing else). */
  fail(error: Error): void {
    if (this.failure !== undefined || this.finished) return;
    this.failure = error;
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterating) throw new TransportUsageError('a snapshot stream can be read only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        if (!this.finished) {
          this.consumerLeft = true;
          this.chunks.length = 0;
          this.bufferedBytes = 0;
          this.onAbandon();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.waiter !== undefined) throw new TransportUsageError('a snapshot stream has a single reader');
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.bufferedBytes -= chunk.byteLength;
      if (this.wasFull && this.bufferedBytes < this.bufferedBytesMax) {
        this.wasFull = false;
        this.onDemand();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
