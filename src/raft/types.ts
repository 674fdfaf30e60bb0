// The data the consensus core reasons about: log entries, the durable hard state, cluster configurations
// and snapshot metadata. Everything here is plain readonly data so that it can be persisted, sent and
// compared without surprises.

/** A node's identity, as the application names it (for example "1" or "host:4002"). Never empty. */
export type NodeId = string;

/**
 * What an entry carries:
 * - `normal`: an application command, opaque to the core;
 * - `confChange`: a membership change, encoded by `encodeConfChangeEntry` (see membership.ts);
 * - `noop`: the empty entry a new leader appends so that it can commit entries of its own term (§5.4.2).
 */
export type EntryType = 'normal' | 'confChange' | 'noop';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** The state that must survive a crash, persisted before any message that depends on it leaves. */
export interface HardState {
  readonly term: number;
  /** The candidate this node voted for in `term`; '' when it has not voted. */
  readonly vote: NodeId;
  /** The highest index known committed. Persisting it is an optimisation; it never decreases. */
  readonly commit: number;
}

export const emptyHardState: HardState = { term: 0, vote: '', commit: 0 };

/** A cluster configuration: who votes and who only receives the log. The two lists are disjoint. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export const emptyConfState: ConfState = { voters: [], learners: [] };

/**
 * Describes a snapshot: the state machine after applying every entry up to `index` (whose term is
 * `term`), and the configuration in force at that index. The snapshot's data never travels through the
 * core: the application stores it and streams it between nodes itself.
 */
export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the application may want to observe (who leads, what this node is). */
export interface SoftState {
  readonly leaderId: NodeId;
  readonly role: Role;
}

/**
 * The answer to a `readIndex` request: once the application has applied every entry up to `index`, a
 * read of its state machine reflects every write that completed before the request was made.
 */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
  /** How leadership was confirmed: a heartbeat round acknowledged by a quorum, or a valid lease. */
  readonly confirmedBy: 'quorum' | 'lease';
}

export function hardStatesEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Payload bytes of entries, the unit of every size limit in the core. */
export function payloadBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += entry.data.byteLength;
  return total;
}
