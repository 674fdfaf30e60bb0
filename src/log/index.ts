// The durable log and snapshot store: the public surface of src/log.
export { DurableLog, type LogStats } from './durable-log.js';
export type { DurableLogOptions } from './options.js';
export { defaultLogLimits } from './options.js';
export { SnapshotStore } from './snapshot-store.js';
export type { SnapshotData, SnapshotMeta, SnapshotStoreOptions, StoredSnapshot } from './snapshot-store.js';
export type { AppendFile, LogDisk, ReadFile } from './disk.js';
export { nodeDisk } from './disk.js';
export {
  LogClosedError,
  LogCompactedError,
  LogConfigError,
  LogCorruptError,
  LogError,
  LogFailedError,
  LogOverloadedError,
  LogUsageError,
  SnapshotCorruptError,
  SnapshotUsageError,
  type LogErrorCode,
} from './errors.js';
export {
  consoleWarningSink,
  initialHardState,
  type HardState,
  type LogEntry,
  type LogUpdate,
  type LogWarningSink,
} from './types.js';
