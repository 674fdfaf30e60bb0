// The public surface of the consensus core.

export type { RaftOptions, RaftConfig } from './config.js';
export { requiredLeaseMarginTicks, resolveRaftConfig } from './config.js';
export * from './errors.js';
export type { ConfChange, ConfChangeEntry, ConfChangeKind } from './membership.js';
export {
  Configuration,
  applyConfChange,
  decodeConfChangeEntry,
  describeConfChange,
  describeConfState,
  encodeConfChangeEntry,
} from './membership.js';
export type * from './messages.js';
export { describeMessage } from './messages.js';
export { MemoryStorage } from './memory-storage.js';
export type { RandomSource } from './random.js';
export { SeededRandom } from './random.js';
export { Raft } from './raft.js';
export type { Delivery, LogPosition, ReadMode, SnapshotReport } from './raft.js';
export { RawNode, readyNeedsPersistence } from './raw-node.js';
export type { ProgressStatus, RaftFactory, RaftStatus, Ready } from './raw-node.js';
export type { InitialState, Storage } from './storage.js';
export * from './types.js';
