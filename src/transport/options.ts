// The TCP transport's limits and timeouts, with their defaults, validated once when a transport starts.

import { TransportConfigError } from './errors.js';
import { assertFrameBytesMax } from './framing.js';

const kibibyte = 1024;
const mebibyte = 1024 * kibibyte;

export interface TcpTransportLimits {
  /**
   * The largest frame accepted, which bounds one Raft message. It must exceed the largest entry (the
   * largest client request plus a little encoding) and be the same on every node. Default 96 MiB.
   */
  readonly frameBytesMax: number;
  /** Messages waiting for one peer before more are dropped and the peer reported unreachable. */
  readonly queueMessagesMax: number;
  /** Encoded bytes waiting for one peer before more are dropped. At least frameBytesMax. Default 128 MiB. */
  readonly queueBytesMax: number;
  /** Bytes gathered into one socket write (a single larger message is written alone). Default 4 MiB. */
  readonly writeBatchBytesMax: number;
  /** Connecting and being welcomed by the peer must take less than this. Default 2 s. */
  readonly connectTimeoutMs: number;
  /** The first redial waits about this long; each failure doubles it, up to backoffMaxMs. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** How often a dialer pings its peer, and how often silence is checked. Default 250 ms. */
  readonly pingIntervalMs: number;
  /**
   * A connection on which nothing has arrived for this long is dead (a crashed host, a black-holed
   * link, a stopped process) and is closed; the dialer reports the peer unreachable and redials.
   * At least twice pingIntervalMs. Default 2 s.
   */
  readonly silenceTimeoutMs: number;
  /** Snapshot bytes per frame. Default 1 MiB. */
  readonly snapshotChunkBytes: number;
  /** Received snapshot bytes buffered ahead of the application before reading pauses. Default 8 MiB. */
  readonly snapshotBufferedBytesMax: number;
  /** A snapshot transfer that makes no progress for this long fails. Default 30 s. */
  readonly snapshotIdleTimeoutMs: number;
  /** How long the sender waits, after the last byte, for the receiver to store the snapshot. Default 120 s. */
  readonly snapshotResultTimeoutMs: number;
  /** Snapshots received at once; more are refused as busy. Default 2. */
  readonly snapshotsInboundMax: number;
}

export const defaultTcpTransportLimits: TcpTransportLimits = {
  frameBytesMax: 96 * mebibyte,
  queueMessagesMax: 8192,
  queueBytesMax: 128 * mebibyte,
  writeBatchBytesMax: 4 * mebibyte,
  connectTimeoutMs: 2000,
  backoffBaseMs: 50,
  backoffMaxMs: 2000,
  pingIntervalMs: 250,
  silenceTimeoutMs: 2000,
  snapshotChunkBytes: mebibyte,
  snapshotBufferedBytesMax: 8 * mebibyte,
  snapshotIdleTimeoutMs: 30_000,
  snapshotResultTimeoutMs: 120_000,
  snapshotsInboundMax: 2,
};

const hourMs = 3_600_000;

function checkRange(name: keyof TcpTransportLimits, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TransportConfigError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

export function resolveTcpTransportLimits(overrides: Partial<TcpTransportLimits> = {}): TcpTransportLimits {
  const limits: TcpTransportLimits = { ...defaultTcpTransportLimits, ...overrides };
  assertFrameBytesMax(limits.frameBytesMax);
  checkRange('queueMessagesMax', limits.queueMessagesMax, 1, 10_000_000);
  checkRange('queueBytesMax', limits.queueBytesMax, limits.frameBytesMax, Number.MAX_SAFE_INTEGER);
  checkRange('writeBatchBytesMax', limits.writeBatchBytesMax, 1, limits.queueBytesMax);
  checkRange('connectTimeoutMs', limits.connectTimeoutMs, 1, hourMs);
  checkRange('backoffBaseMs', limits.backoffBaseMs, 1, hourMs);
  checkRange('backoffMaxMs', limits.backoffMaxMs, limits.backoffBaseMs, hourMs);
  checkRange('pingIntervalMs', limits.pingIntervalMs, 1, hourMs);
  checkRange('silenceTimeoutMs', limits.silenceTimeoutMs, 2 * limits.pingIntervalMs, hourMs);
  checkRange('snapshotChunkBytes', limits.snapshotChunkBytes, 1, limits.frameBytesMax - 1);
  checkRange(
    'snapshotBufferedBytesMax',
    limits.snapshotBufferedBytesMax,
    limits.snapshotChunkBytes,
    Number.MAX_SAFE_INTEGER,
  );
  checkRange('snapshotIdleTimeoutMs', limits.snapshotIdleTimeoutMs, 1, hourMs);
  checkRange('snapshotResultTimeoutMs', limits.snapshotResultTimeoutMs, 1, 24 * hourMs);
  checkRange('snapshotsInboundMax', limits.snapshotsInboundMax, 1, 1000);
  return limits;
}
