// The shell's adjustable settings, changed by dot-commands and shown by `.show`.
import type { OutputMode } from './render/modes.js';

export const consistencyLevels = ['none', 'weak', 'linearizable', 'strong', 'auto'] as const;
export type ConsistencyLevel = (typeof consistencyLevels)[number];

export function isConsistencyLevel(text: string): text is ConsistencyLevel {
  return (consistencyLevels as readonly string[]).includes(text);
}

export interface Settings {
  /** How rows are printed. */
  mode: OutputMode;
  /** Print how long each statement took. */
  timer: boolean;
  /** Print the last insert ID after each write. */
  changes: boolean;
  /** Send every statement to /db/execute instead of /db/request. */
  forceWrites: boolean;
  /** Ask for BLOBs as lists of byte values instead of base64 text. */
  blobArray: boolean;
  /** Read consistency level sent with every read. */
  consistency: ConsistencyLevel;
}

export function defaultSettings(): Settings {
  return {
    mode: 'table',
    timer: false,
    changes: false,
    forceWrites: false,
    blobArray: false,
    consistency: 'weak',
  };
}
