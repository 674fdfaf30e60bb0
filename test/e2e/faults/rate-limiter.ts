// A byte-rate limit shared by every connection of one proxy in one direction, as one link's capacity would be.
//
// The model is a virtual clock: each delivered slice moves `linkFreeAtMs` forward by the time the slice would
// take on a link of the given rate, and nothing more may be sent until the real clock catches up. Idle time earns
// no credit (the clock never lags behind now), so the rate holds over any window longer than one slice and
// bursts are at most one slice. Slices are cut to `sliceMs` of link time so a large chunk is spread out rather
// than sent at once and then followed by a long silence.

import { FaultConfigError } from './errors.js';

/** Bytes-per-second limits accepted by `setBandwidthBytesPerSecond`: one byte per second up to 10 GiB/s. */
export const bandwidthBytesPerSecondMin = 1;
export const bandwidthBytesPerSecondMax = 10 * 1024 ** 3;

/** The link time of one slice: small enough to look smooth, large enough not to spin the timer queue. */
const sliceMs = 20;

export class ByteRateLimiter {
  private bytesPerSecond: number | null = null;
  private linkFreeAtMs = 0;

  /** Sets the rate (`null` removes the limit). Bytes already accounted stay accounted only up to now. */
  setRate(bytesPerSecond: number | null, nowMs: number): void {
    if (bytesPerSecond !== null) {
      if (
        !Number.isInteger(bytesPerSecond) ||
        bytesPerSecond < bandwidthBytesPerSecondMin ||
        bytesPerSecond > bandwidthBytesPerSecondMax
      ) {
        throw new FaultConfigError(
          `bandwidth must be an integer number of bytes per second between ${bandwidthBytesPerSecondMin} and ` +
            `${bandwidthBytesPerSecondMax}, or null for no limit; got ${String(bytesPerSecond)}.`,
        );
      }
    }
    this.bytesPerSecond = bytesPerSecond;
    // A new rate starts from now: debt run up under a slower rate must not hold back a faster one.
    this.linkFreeAtMs = Math.min(this.linkFreeAtMs, nowMs);
  }

  get rate(): number | null {
    return this.bytesPerSecond;
  }

  /** How long to wait before the next slice may go out (0: now). */
  waitMs(nowMs: number): number {
    if (this.bytesPerSecond === null) return 0;
    return Math.max(0, this.linkFreeAtMs - nowMs);
  }

  /** The largest slice to send now; call only when `waitMs` is 0. */
  sliceBytesMax(): number {
    if (this.bytesPerSecond === null) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.floor((this.bytesPerSecond * sliceMs) / 1000));
  }

  /** Accounts for `bytes` sent at `nowMs`. */
  consume(bytes: number, nowMs: number): void {
    if (this.bytesPerSecond === null) return;
    if (!(bytes > 0)) throw new Error(`rate limiter: consumed ${bytes} bytes; a slice has at least one byte`);
    this.linkFreeAtMs = Math.max(this.linkFreeAtMs, nowMs) + (bytes * 1000) / this.bytesPerSecond;
  }
}
