// The application's handle on a Raft node: feed it time, messages and requests; take its output as a
// Ready; do the I/O the Ready asks for, in the order written on the type; then call advance().

import { resolveRaftConfig, type RaftConfig, type RaftOptions } from './config.js';
import { RaftUsageError } from './errors.js';
import type { ConfChange } from './membership.js';
import type { Message } from './messages.js';
import type { ProgressState } from './progress.js';
import { Raft, type LogPosition, type ReadMode, type SnapshotReport } from './raft.js';
import type { Storage } from './storage.js';
import {
  hardStatesEqual,
  type ConfState,
  type Entry,
  type HardState,
  type NodeId,
  type ReadState,
  type Role,
  type SnapshotMetadata,
  type SoftState,
} from './types.js';

/**
 * One batch of work for the application. Handle it in this order:
 *
 * 1. Send `messages` right away. They depend on nothing that is not yet durable: they are a leader's
 *    appends, heartbeats, snapshot offers and TimeoutNow, pre-vote requests and heartbeat answers. In particular the
 *    leader sends `entries` to followers while it writes them itself; it counts itself toward a commit
 *    only for entries a previous `advance` reported durable.
 * 2. Make `snapshot`, then `entries`, then `hardState` durable, in that order, with an fsync before
 *    continuing. A crash may keep any prefix of these writes, never a later write without an earlier
 *    one. A hard state that differs from the last one only in `commit` may be written later (with the
 *    next write): the commit index is relearned from the cluster, and at start the core takes at least
 *    the applied index. Storage's `initialState()` must return the hard state accepted here either way. `entries` whose first index is at or below the stored last index replace the stored suffix
 *    from that index. For `snapshot`, first install the data that arrived with the InstallSnapshot
 *    message (see messages.ts), then record the metadata in storage.
 * 3. Send `persistedMessages`. They report state that must survive a crash (an append acknowledged, a
 *    vote granted, a new term), so they leave only after step 2. With nothing to persist they may go
 *    at once.
 * 4. Apply: restore the state machine from `snapshot` if present, then apply `committedEntries` in
 *    order. Serve each `readStates` request once every entry up to its index is applied.
 * 5. Call `advance(ready)`. No other Ready is handed out before that.
 *
 * Storage may be read by the core at any time; it must reflect a Ready's writes by the time `advance`
 * is called.
 */
export interface Ready {
  /** The leader or role changed since the last Ready. */
  readonly softState: SoftState | undefined;
  /** The hard state to persist, when it changed. */
  readonly hardState: HardState | undefined;
  /** A snapshot received from the leader, to install and persist. */
  readonly snapshot: SnapshotMetadata | undefined;
  /** Entries to append to durable storage. */
  readonly entries: readonly Entry[];
  /** Messages that may be sent before this Ready is durable. */
  readonly messages: readonly Message[];
  /** Messages that may be sent only once this Ready is durable. */
  readonly persistedMessages: readonly Message[];
  /** Committed entries to apply, in order, after this Ready is durable. */
  readonly committedEntries: readonly Entry[];
  /** Confirmed read requests (see ReadState). */
  readonly readStates: readonly ReadState[];
}

/** Whether a Ready asks for anything to be made durable (step 2 of the contract). */
export function readyNeedsPersistence(ready: Ready): boolean {
  return ready.snapshot !== undefined || ready.entries.length > 0 || ready.hardState !== undefined;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly role: Role;
  readonly leaderId: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly configuration: ConfState;
  /** The log index of the entry that produced `configuration` (the snapshot index if none). */
  readonly configurationIndex: number;
  readonly leadTransferee: NodeId;
  /** Leader only: what the leader knows of each member. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}

/** Builds the state machine behind a RawNode; a subclass of Raft may replace a rule (see raft.ts). */
export type RaftFactory = (config: RaftConfig, storage: Storage) => Raft;

const standardRaft: RaftFactory = (config, storage) => new Raft(config, storage);

export class RawNode {
  private readonly raft: Raft;
  private lastSoftState: SoftState;
  private lastHardState: HardState;
  private pending: Ready | undefined;

  constructor(options: RaftOptions, storage: Storage, createRaft: RaftFactory = standardRaft) {
    this.raft = createRaft(resolveRaftConfig(options), storage);
    this.lastSoftState = this.raft.softState();
    this.lastHardState = storage.initialState().hardState;
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances logical time by one tick: election timeouts, heartbeats, CheckQuorum and leases count ticks. */
  tick(): void {
    this.raft.tick();
  }

  /** Handles a message from another node. */
  step(message: Message): void {
    this.raft.step(message);
  }

  /**
   * Appends an application command to the leader's log and returns where it went. It is committed when
   * an entry with this index and term appears in `committedEntries`; if another entry appears at this
   * index, the proposal was lost. Throws NotLeaderError on a non-leader, ProposalDroppedError when the
   * leader refuses it (nothing was appended, retrying is safe).
   */
  propose(data: Uint8Array): LogPosition {
    return this.raft.propose(data);
  }

  /**
   * Proposes a membership change; one change at a time. Throws ConfChangeRejectedError when another
   * change is still uncommitted, when this leader has not yet committed an entry of its term, or when
   * the change is invalid. The new configuration takes effect on each node when the entry is appended.
   */
  proposeConfChange(change: ConfChange): LogPosition {
    return this.raft.proposeConfChange(change);
  }

  /**
   * Asks the leader to confirm a linearizable read (dissertation §6.4). A ReadState with the same
   * context appears in a later Ready. `lease` answers without a round trip while the leader's lease
   * holds (CheckQuorum must be on) and falls back to a quorum round otherwise. A read is dropped silently
   * if leadership is lost first: time out and retry.
   */
  readIndex(context: Uint8Array, mode: ReadMode = 'quorum'): void {
    this.raft.readIndex(context, mode);
  }

  /** Hands leadership to `to` (dissertation §3.10); proposals are refused until it completes or times out. */
  transferLeadership(to: NodeId): void {
    this.raft.transferLeadership(to);
  }

  /** Starts an election now (pre-vote first when enabled). Does nothing on a leader or a non-voter. */
  campaign(): void {
    this.raft.campaign();
  }

  /** The outcome of streaming a snapshot to `to` after an installSnapshot message. */
  reportSnapshot(to: NodeId, report: SnapshotReport): void {
    this.raft.reportSnapshot(to, report);
  }

  /** The transport could not reach `to`; pipelined appends to it are assumed lost. */
  reportUnreachable(to: NodeId): void {
    this.raft.reportUnreachable(to);
  }

  hasReady(): boolean {
    if (this.pending !== undefined) return false;
    const raft = this.raft;
    const soft = raft.softState();
    return (
      raft.hasOutput() ||
      soft.leaderId !== this.lastSoftState.leaderId ||
      soft.role !== this.lastSoftState.role ||
      !hardStatesEqual(raft.hardState(), this.lastHardState) ||
      raft.log.unstable.snapshot !== undefined ||
      raft.log.unstable.entries.length > 0 ||
      raft.log.hasNextCommittedEntries()
    );
  }

  ready(): Ready {
    if (this.pending !== undefined) {
      throw new RaftUsageError('ready() called again before advance() acknowledged the previous Ready');
    }
    const raft = this.raft;
    raft.flushBroadcast();
    const soft = raft.softState();
    const softChanged =
      soft.leaderId !== this.lastSoftState.leaderId || soft.role !== this.lastSoftState.role;
    const hard = raft.hardState();
    const hardChanged = !hardStatesEqual(hard, this.lastHardState);
    const { messages, persistedMessages, readStates } = raft.takeMessages();
    const ready: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      snapshot: raft.log.unstable.snapshot,
      entries: raft.log.unstable.entries.slice(),
      messages,
      persistedMessages,
      committedEntries: raft.log.nextCommittedEntries(raft.config.applyBytesMax),
      readStates,
    };
    if (softChanged) this.lastSoftState = soft;
    this.pending = ready;
    return ready;
  }

  /** The application has done everything `ready` asked (see Ready for the order). */
  advance(ready: Ready): void {
    if (ready !== this.pending) {
      throw new RaftUsageError('advance() must be given the Ready returned by the last ready() call');
    }
    this.pending = undefined;
    const log = this.raft.log;
    this.checkPersisted(ready);
    if (ready.hardState !== undefined) this.lastHardState = ready.hardState;
    if (ready.snapshot !== undefined) {
      log.unstable.stableSnapshotTo(ready.snapshot.index);
      if (ready.snapshot.index > log.applied) log.appliedTo(ready.snapshot.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) log.unstable.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastApplied !== undefined) {
      log.appliedTo(lastApplied.index);
      this.raft.reduceUncommittedBytes(ready.committedEntries);
    }
    log.configurations.forgetBefore(Math.min(log.applied, log.firstIndex() - 1));
    this.raft.onDurable(ready.hardState);
  }

  /** Storage must reflect a Ready when it is advanced; acting on unwritten state would lose data silently. */
  private checkPersisted(ready: Ready): void {
    const storage = this.raft.log.storage;
    const last = ready.entries[ready.entries.length - 1];
    if (last !== undefined) {
      const stored = storage.lastIndex() >= last.index && storage.firstIndex() - 1 <= last.index;
      if (!stored || storage.term(last.index) !== last.term) {
        throw new RaftUsageError(
          `advance() was called before entry ${last.index}/${last.term} of the Ready was persisted`,
        );
      }
    }
    if (ready.snapshot !== undefined && storage.snapshot().index < ready.snapshot.index) {
      throw new RaftUsageError(
        `advance() was called before snapshot ${ready.snapshot.index} of the Ready was persisted`,
      );
    }
    if (
      ready.hardState !== undefined &&
      !hardStatesEqual(storage.initialState().hardState, ready.hardState)
    ) {
      throw new RaftUsageError('advance() was called before the hard state of the Ready was persisted');
    }
  }

  /** Who leads and what this node is, cheaply (status() copies much more). */
  softState(): SoftState {
    return this.raft.softState();
  }

  /** The current term, vote and commit index (not necessarily durable yet). */
  hardState(): HardState {
    return this.raft.hardState();
  }

  status(): RaftStatus {
    const raft = this.raft;
    const progress = new Map<NodeId, ProgressStatus>();
    for (const [id, p] of raft.progress) {
      progress.set(id, { match: p.match, next: p.next, state: p.state, isLearner: p.isLearner });
    }
    return {
      id: raft.id,
      term: raft.term,
      vote: raft.vote,
      role: raft.role,
      leaderId: raft.leaderId,
      commit: raft.log.committed,
      applied: raft.log.applied,
      firstIndex: raft.log.firstIndex(),
      lastIndex: raft.log.lastIndex(),
      configuration: raft.configuration().toConfState(),
      configurationIndex: raft.log.configurations.currentIndex(),
      leadTransferee: raft.leadTransferee,
      progress,
    };
  }

  /** The term of the entry at `index` in this node's log, or undefined if compacted or beyond its end. */
  termAt(index: number): number | undefined {
    return this.raft.log.termIfKnown(index);
  }

  /** Whether a lease read would be answered without a round trip right now (for tests and metrics). */
  leaseValid(): boolean {
    return this.raft.leaseValid();
  }
}
