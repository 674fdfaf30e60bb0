// The log's limits, validated once at open with messages that name the option and its allowed range.
import type { LogDisk } from './disk.js';
import { LogConfigError } from './errors.js';
import { entryDataBytesCeiling, entryRecordOverheadBytes } from './record.js';
import type { LogWarningSink } from './types.js';

const kibibyte = 1024;
const mebibyte = 1024 * kibibyte;
const gibibyte = 1024 * mebibyte;

export interface DurableLogOptions {
  /** A segment is closed and a new one started once a write would take it past this size. Default 64 MiB. */
  readonly segmentBytesMax?: number;
  /** The largest entry payload accepted. Default 256 MiB (a database image sent as one entry must fit). */
  readonly entryBytesMax?: number;
  /** Group commit puts at most this many bytes in one write (a larger single request is written alone). */
  readonly batchBytesMax?: number;
  /**
   * Payload bytes of recent entries kept in memory for reads. Default 4 MiB: enough for the entries a
   * follower that keeps up still needs, while one that lags reads them from disk.
   */
  readonly cacheBytesMax?: number;
  /** Bytes accepted but not yet durable; a persist() beyond it is refused with LogOverloadedError. */
  readonly pendingBytesMax?: number;
  /** Where repaired problems (an interrupted write cut off at open) are reported. Default: the console. */
  readonly warnings?: LogWarningSink;
  /** The file operations to use; tests substitute a wrapper. Default: node:fs. */
  readonly disk?: LogDisk;
}

export interface LogLimits {
  readonly segmentBytesMax: number;
  readonly entryBytesMax: number;
  readonly batchBytesMax: number;
  readonly cacheBytesMax: number;
  readonly pendingBytesMax: number;
}

export const defaultLogLimits: LogLimits = {
  segmentBytesMax: 64 * mebibyte,
  entryBytesMax: 256 * mebibyte,
  batchBytesMax: 8 * mebibyte,
  cacheBytesMax: 4 * mebibyte,
  pendingBytesMax: 512 * mebibyte,
};

function checked(name: keyof LogLimits, value: number | undefined, min: number, max: number): number {
  const result = value ?? defaultLogLimits[name];
  if (!Number.isSafeInteger(result) || result < min || result > max) {
    throw new LogConfigError(
      `log option ${name} must be an integer from ${min} to ${max} bytes, not ${String(value)}`,
    );
  }
  return result;
}

export function resolveLogLimits(options: DurableLogOptions): LogLimits {
  const limits: LogLimits = {
    // Segment offsets are 32-bit; a segment holds at most segmentBytesMax plus one write (at most
    // pendingBytesMax), so both stay well below 4 GiB.
    segmentBytesMax: checked('segmentBytesMax', options.segmentBytesMax, 4 * kibibyte, gibibyte),
    entryBytesMax: checked('entryBytesMax', options.entryBytesMax, 1, entryDataBytesCeiling),
    batchBytesMax: checked('batchBytesMax', options.batchBytesMax, 4 * kibibyte, gibibyte),
    cacheBytesMax: checked('cacheBytesMax', options.cacheBytesMax, 0, 64 * gibibyte),
    pendingBytesMax: checked('pendingBytesMax', options.pendingBytesMax, 64 * kibibyte, 2 * gibibyte),
  };
  if (limits.pendingBytesMax < limits.entryBytesMax + entryRecordOverheadBytes) {
    throw new LogConfigError(
      `log option pendingBytesMax (${limits.pendingBytesMax}) must leave room for one entry of entryBytesMax ` +
        `(${limits.entryBytesMax}) bytes`,
    );
  }
  return limits;
}
