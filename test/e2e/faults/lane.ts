// One direction of one proxied connection: the bytes read from a source socket wait here until the proxy's
// conditions let them out to the destination socket. A lane holds a FIFO of chunks, each stamped with the time
// it may leave (arrival plus the current delay), and delivers only the head, so bytes always leave in the order
// they came in whatever the delays. A blocked lane delivers nothing and loses nothing.
//
// The FIFO is bounded: once `bufferedBytesMax` bytes wait here the source socket is paused, so the sender's
// kernel buffers fill and its writes back up, as they would if its peer stopped acknowledging. Reading resumes
// when the lane has drained to half the limit. A destination that reads slowly is handled the same way: the lane
// stops writing until the socket drains, and its FIFO fills up to the bound.

import type { Socket } from 'node:net';

import type { ByteRateLimiter } from './rate-limiter.js';

/** `upstream`: from the connecting client to the target; `downstream`: from the target back to the client. */
export type Direction = 'upstream' | 'downstream';

/** The proxy-wide conditions a lane obeys; they may change at any moment, and then the proxy calls `pump()`. */
export interface LaneConditions {
  isBlocked(direction: Direction): boolean;
  /** The delay for a chunk arriving now: the latency plus a fresh draw of jitter. */
  drawDelayMs(): number;
  limiter(direction: Direction): ByteRateLimiter;
  nowMs(): number;
}

/** Byte counts for one direction, summed over every connection of a proxy. */
export interface DirectionCounters {
  /** Read from sources. */
  receivedBytes: number;
  /** Written to destinations. */
  deliveredBytes: number;
  /** Thrown away because their destination socket was gone or the connection was reset. */
  discardedBytes: number;
  /** Waiting in lanes now. */
  bufferedBytes: number;
  /** The most that ever waited in lanes at once. */
  bufferedBytesPeak: number;
}

interface LaneItemTiming {
  readonly arrivedAtMs: number;
  releaseAtMs: number;
}

type LaneItem =
  | ({ readonly kind: 'bytes'; bytes: Buffer } & LaneItemTiming)
  | ({ readonly kind: 'end' } & LaneItemTiming)
  | ({ readonly kind: 'reset' } & LaneItemTiming);

export class Lane {
  private items: LaneItem[] = [];
  private headIndex = 0;
  private bufferedBytes = 0;
  private destination: Socket | null = null;
  private destinationGone = false;
  private endQueued = false;
  private resetQueued = false;
  private disposed = false;
  private sourcePaused = false;
  private drainListener: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAtMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly direction: Direction,
    private readonly source: Socket,
    private readonly conditions: LaneConditions,
    private readonly counters: DirectionCounters,
    private readonly bufferedBytesMax: number,
  ) {}

  get isIdle(): boolean {
    return this.headIndex === this.items.length;
  }

  /** The destination may arrive later than the first bytes (the target is connected lazily). */
  attachDestination(destination: Socket): void {
    if (this.destination !== null) throw new Error(`lane ${this.direction}: destination attached twice`);
    this.destination = destination;
    this.pump();
  }

  /** Bytes read from the source. */
  pushBytes(bytes: Buffer): void {
    this.counters.receivedBytes += bytes.length;
    if (this.disposed || this.destinationGone) {
      this.counters.discardedBytes += bytes.length;
      return;
    }
    if (this.endQueued || this.resetQueued) {
      throw new Error(`lane ${this.direction}: bytes arrived after the end of the stream`);
    }
    const nowMs = this.conditions.nowMs();
    this.items.push({
      kind: 'bytes',
      bytes,
      arrivedAtMs: nowMs,
      releaseAtMs: nowMs + this.conditions.drawDelayMs(),
    });
    this.changeBuffered(bytes.length);
    if (this.bufferedBytes >= this.bufferedBytesMax && !this.sourcePaused) {
      this.sourcePaused = true;
      this.source.pause();
    }
    this.pump();
  }

  /** The source sent FIN: the destination gets `end()` after the bytes before it. */
  pushEnd(): void {
    if (this.disposed || this.destinationGone || this.endQueued || this.resetQueued) return;
    this.endQueued = true;
    this.pushMarker('end');
  }

  /**
   * The source went away abruptly: the destination gets a reset after the bytes before it. A reset may follow
   * an end, as when a peer that half-closed is later found dead.
   */
  pushReset(): void {
    if (this.disposed || this.destinationGone || this.resetQueued) return;
    this.resetQueued = true;
    this.pushMarker('reset');
  }

  /** The destination socket closed: nothing can be delivered any more, so the FIFO is thrown away. */
  markDestinationGone(): void {
    if (this.destinationGone) return;
    this.destinationGone = true;
    this.discardQueued();
  }

  /** Re-stamps waiting chunks with the current delay, so a new latency applies to them too. */
  retime(): void {
    for (let index = this.headIndex; index < this.items.length; index++) {
      const item = this.items[index]!;
      item.releaseAtMs = item.arrivedAtMs + this.conditions.drawDelayMs();
    }
    this.pump();
  }

  /** Delivers every chunk whose time has come, as far as blocking, bandwidth and backpressure allow. */
  pump(): void {
    if (this.disposed || this.destinationGone || this.destination === null) return;
    if (this.drainListener !== null) return;
    if (this.conditions.isBlocked(this.direction)) {
      this.cancelTimer();
      return;
    }
    const destination = this.destination;
    const limiter = this.conditions.limiter(this.direction);
    while (this.headIndex < this.items.length) {
      const head = this.items[this.headIndex]!;
      const nowMs = this.conditions.nowMs();
      if (head.releaseAtMs > nowMs) return this.wakeAt(head.releaseAtMs);
      if (destination.destroyed) return this.markDestinationGone();
      if (head.kind === 'end') {
        this.dequeue();
        destination.end();
        continue;
      }
      if (head.kind === 'reset') {
        this.dequeue();
        resetSocket(destination);
        continue;
      }
      const waitMs = limiter.waitMs(nowMs);
      if (waitMs > 0) return this.wakeAt(nowMs + waitMs);
      const sliceBytes = Math.min(head.bytes.length, limiter.sliceBytesMax());
      const slice = head.bytes.subarray(0, sliceBytes);
      if (sliceBytes === head.bytes.length) this.dequeue();
      else head.bytes = head.bytes.subarray(sliceBytes);
      limiter.consume(sliceBytes, nowMs);
      this.changeBuffered(-sliceBytes);
      this.counters.deliveredBytes += sliceBytes;
      this.resumeSourceIfDrained();
      if (!destination.write(slice)) {
        this.drainListener = () => {
          this.drainListener = null;
          this.pump();
        };
        destination.once('drain', this.drainListener);
        return;
      }
    }
    this.cancelTimer();
  }

  /** Stops for good: drops what waits, cancels the timer, and lets the source run (its bytes are discarded). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.discardQueued();
  }

  private pushMarker(kind: 'end' | 'reset'): void {
    const nowMs = this.conditions.nowMs();
    this.items.push({ kind, arrivedAtMs: nowMs, releaseAtMs: nowMs + this.conditions.drawDelayMs() });
    this.pump();
  }

  private dequeue(): void {
    this.headIndex++;
    // Compacting only when the dead prefix outweighs the live part keeps dequeue amortised O(1).
    if (this.headIndex > 1024 && this.headIndex * 2 > this.items.length) {
      this.items = this.items.slice(this.headIndex);
      this.headIndex = 0;
    }
  }

  private discardQueued(): void {
    this.counters.discardedBytes += this.bufferedBytes;
    this.changeBuffered(-this.bufferedBytes);
    this.items = [];
    this.headIndex = 0;
    this.cancelTimer();
    if (this.drainListener !== null && this.destination !== null) {
      this.destination.off('drain', this.drainListener);
    }
    this.drainListener = null;
    this.resumeSourceIfDrained();
  }

  private changeBuffered(deltaBytes: number): void {
    this.bufferedBytes += deltaBytes;
    this.counters.bufferedBytes += deltaBytes;
    if (this.bufferedBytes < 0 || this.counters.bufferedBytes < 0) {
      throw new Error(`lane ${this.direction}: buffered byte count went negative`);
    }
    this.counters.bufferedBytesPeak = Math.max(this.counters.bufferedBytesPeak, this.counters.bufferedBytes);
  }

  private resumeSourceIfDrained(): void {
    if (this.sourcePaused && this.bufferedBytes <= this.bufferedBytesMax / 2) {
      this.sourcePaused = false;
      this.source.resume();
    }
  }

  private wakeAt(atMs: number): void {
    if (this.timer !== null && this.timerAtMs === atMs) return;
    this.cancelTimer();
    this.timerAtMs = atMs;
    // Timers have millisecond resolution and may fire a little early; pump() re-checks the clock and waits again.
    const delayMs = Math.max(1, Math.ceil(atMs - this.conditions.nowMs()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.pump();
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAtMs = Number.POSITIVE_INFINITY;
  }
}

/**
 * Resets `socket` (RST) and destroys it. A socket whose FIN was just handed to the kernel but not yet
 * flushed cannot be reset (the system call fails with EINVAL and the socket then never closes), so such
 * a socket is destroyed instead: its peer sees the FIN it was already promised.
 */
export function resetSocket(socket: Socket): void {
  if (socket.writableEnded && !socket.writableFinished) socket.destroy();
  else socket.resetAndDestroy();
}
