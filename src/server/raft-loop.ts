// The one loop that drives the consensus core on this node: time goes in as tick(), requests as
// propose()/readIndex(), and every Ready is handled in the order written on the Ready type: send, make
// durable, send what needed durability, apply, advance. Only one Ready is in hand at a time, so proposals
// that arrive while the log is being synced wait in the core and share the next write and fsync: that
// is the group commit.
//
// Applying is the one step that does not hold the loop: committed entries join an apply queue that runs
// them in log order beside it. An apply may have to wait for SQLite (an in-memory database lets a commit
// through only once its readers are done, and a read may run for seconds); if the loop waited too, it
// would stop sending heartbeats and the followers would elect another leader.
import type { Command } from '../command/types.js';
import type { DurableLog, HardState } from '../log/index.js';
import type { DiskRaftStorage } from '../log/raft-storage.js';
import {
  type ConfChange,
  ConfChangeRejectedError,
  type Entry,
  type LogPosition,
  type Message,
  NotLeaderError as RaftNotLeaderError,
  ProposalDroppedError,
  type RawNode,
  type Ready,
  type SnapshotMetadata,
  type SoftState,
} from '../raft/index.js';
import type { Logger } from './logger.js';

/**
 * How long a round of leadership confirmation may be out before the next is handed to the core anyway
 * (see openRound), unless the options say otherwise. A round is normally answered within one round trip
 * to the followers.
 */
const defaultReadRoundWaitMaxMs = 50;

/**
 * Applies committed entries in order and returns one value per entry, which reaches the entry's proposer.
 * It may be asynchronous (the state machine waits for its readers); the loop waits for it before it
 * hands out the next Ready, so entries are applied exactly once, in log order.
 *
 * `proposed[i]` is the command that entry i was encoded from, when this node proposed it and handed the
 * command along (see propose); otherwise undefined, and the entry's bytes are all there is.
 */
export type ApplyEntries = (
  entries: readonly Entry[],
  proposed: readonly (Command | undefined)[],
) => readonly unknown[] | Promise<readonly unknown[]>;

export interface RaftLoopOptions {
  readonly tickIntervalMs: number;
  /** How long a round of leadership confirmation may be out before the next goes anyway (default 50). */
  readonly readRoundWaitMaxMs?: number;
  /** How long a proposal may wait to be committed and applied. */
  readonly applyTimeoutMs: number;
  readonly logger: Logger;
  /** Delivers messages to other nodes; a single node has none to send to. */
  readonly send?: (messages: readonly Message[]) => void;
  readonly onSoftState?: (state: SoftState) => void;
  /** Entries about to be appended to this node's log (configuration entries carry member addresses). */
  readonly onAppend?: (entries: readonly Entry[]) => void;
  /**
   * Replaces the state machine with the snapshot the leader sent, already stored and now recorded in
   * the log; entries after it are applied next.
   */
  readonly installSnapshot?: (metadata: SnapshotMetadata) => Promise<void>;
}

/** The leader is not this node; `leaderId` is empty when no leader is known. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(readonly leaderId: string) {
    super(leaderId === '' ? 'leader not found' : 'not leader');
  }
}

/** A proposal or read that did not complete in time; the message is the one clients see. */
export class LoopTimeoutError extends Error {
  override readonly name = 'LoopTimeoutError';
}

/** The proposal's index was taken by another leader's entry: it was not committed. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  constructor() {
    super('leadership lost while committing log');
  }
}

/** The core refused the proposal for now (too much uncommitted, a membership change pending, ...). */
export class ProposalRefusedError extends Error {
  override readonly name = 'ProposalRefusedError';
}

/** The loop has stopped (the node is shutting down, or its log failed). */
export class LoopStoppedError extends Error {
  override readonly name = 'LoopStoppedError';
}

interface ProposalWaiter {
  readonly term: number;
  readonly command: Command | undefined;
  readonly resolve: (value: { index: number; result: unknown }) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface IndexWaiter {
  readonly index: number;
  readonly resolve: () => void;
}

interface ReadWaiter {
  readonly resolve: (index: number) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class RaftLoop {
  private readonly proposals = new Map<number, ProposalWaiter>();
  /** Reads waiting for a leadership confirmation, by the context of the round that serves them. */
  private readonly reads = new Map<string, ReadWaiter[]>();
  /**
   * The round that reads arriving now join. It goes to the core once this turn of the event loop ends,
   * or, when a round is out already, once that one is answered.
   */
  private openReadRound: string | undefined;
  /** The open round's turn has ended and it waits for the round out to be answered. */
  private openRoundDue = false;
  /** The round handed to the core and not answered yet, and when it was handed. */
  private roundOut: { readonly round: string; readonly sinceMs: number } | undefined;
  private roundWaitTimer: NodeJS.Timeout | undefined;
  private appliedWaiters: IndexWaiter[] = [];
  private nextReadId = 0;
  private running = false;
  private stopped: Error | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  /** A commit index not yet written: commit-only changes need no fsync and ride on the next write. */
  private deferredHardState: HardState | undefined;
  /** The apply queue: each batch of committed entries runs after the previous one. */
  private applying: Promise<void> = Promise.resolve();
  private persistedHardState: HardState;
  private appliedIndex: number;

  constructor(
    private readonly raw: RawNode,
    private readonly log: DurableLog,
    private readonly storage: DiskRaftStorage,
    private readonly applyEntries: ApplyEntries,
    private readonly options: RaftLoopOptions,
  ) {
    this.persistedHardState = log.hardState();
    this.appliedIndex = raw.status().applied;
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.raw.tick();
      this.schedule();
    }, this.options.tickIntervalMs);
    this.schedule();
  }

  /** Campaigns now rather than after an election timeout (a single voter elects itself at once). */
  campaign(): void {
    this.raw.campaign();
    this.schedule();
  }

  get applied(): number {
    return this.appliedIndex;
  }

  softState(): SoftState {
    return this.raw.softState();
  }

  /**
   * Appends `data` to the log; resolves once it is committed and applied, with what applying returned.
   * `command`, when given, is what `data` decodes to, exactly: applying the entry on this node then
   * uses it instead of decoding the bytes again. An entry is this proposal only if it has the
   * proposal's index and term (two entries with both equal are the same entry), so a proposal that
   * lost its place to another leader's entry never lends its command to that entry.
   */
  propose(data: Uint8Array, command?: Command): Promise<{ index: number; result: unknown }> {
    return this.proposeWith(() => this.raw.propose(data), command);
  }

  /** Proposes a membership change; resolves once its entry is committed and applied. */
  proposeConfChange(change: ConfChange): Promise<{ index: number; result: unknown }> {
    return this.proposeWith(() => this.raw.proposeConfChange(change), undefined);
  }

  /** Hands leadership to `to` (a voter); the transfer is abandoned by the core if it takes too long. */
  transferLeadership(to: string): void {
    this.raw.transferLeadership(to);
    this.schedule();
  }

  /** Steps a message from a peer into the core. Malformed or misdirected messages are dropped by it. */
  step(message: Message): void {
    if (this.stopped !== undefined) return;
    this.raw.step(message);
    this.schedule();
  }

  /** Tells the core about the network (an unreachable peer, a snapshot's outcome) and runs the loop. */
  notify(report: (raw: RawNode) => void): void {
    if (this.stopped !== undefined) return;
    report(this.raw);
    this.schedule();
  }

  private proposeWith(
    makeProposal: () => LogPosition,
    command: Command | undefined,
  ): Promise<{ index: number; result: unknown }> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    let position: LogPosition;
    try {
      position = makeProposal();
    } catch (error) {
      if (error instanceof RaftNotLeaderError) return Promise.reject(new NotLeaderError(error.leaderId));
      if (error instanceof ProposalDroppedError || error instanceof ConfChangeRejectedError) {
        return Promise.reject(new ProposalRefusedError(error.message));
      }
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.schedule();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proposals.delete(position.index);
        reject(new LoopTimeoutError(`timeout waiting for log entry ${position.index} to be applied`));
      }, this.options.applyTimeoutMs);
      this.proposals.set(position.index, { term: position.term, command, resolve, reject, timer });
    });
  }

  /**
   * Confirms leadership with a quorum (or a valid lease) and resolves with the index a linearizable read
   * must wait for. The caller then waits for `waitApplied(index)`.
   */
  readIndex(timeoutMs: number): Promise<number> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    const soft = this.raw.softState();
    if (soft.role !== 'leader') return Promise.reject(new NotLeaderError(soft.leaderId));
    const round = this.openReadRound ?? this.openRound();
    return new Promise((resolve, reject) => {
      const waiter: ReadWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const waiters = this.reads.get(round);
          if (waiters !== undefined) waiters.splice(waiters.indexOf(waiter), 1);
          reject(new LoopTimeoutError('timeout waiting for leadership confirmation'));
        }, timeoutMs),
      };
      this.reads.get(round)?.push(waiter);
    });
  }

  /**
   * Starts a round of leadership confirmation that every read arriving in this turn of the event loop
   * shares. Only reads that arrived before the round is handed to the core may share it: the round's
   * read index is the commit index at that moment, and a later read may need a later one.
   *
   * One round is out at a time: a round costs a message to every follower and an answer from each, and
   * under a steady load of reads a new round every turn of the event loop cost more than the reads did.
   * Reads that arrive while a round is out join the next one, which is handed to the core as soon as the
   * one out is answered, so each waits for at most one round more. Should the round out never be answered
   * (its leader deposed, its messages lost), the next is handed anyway after `readRoundWaitMaxMs`.
   */
  private openRound(): string {
    const round = `r${this.nextReadId++}`;
    this.openReadRound = round;
    this.openRoundDue = false;
    this.reads.set(round, []);
    setImmediate(() => {
      if (this.openReadRound !== round) return;
      if (this.roundOut === undefined) {
        this.handOpenRound();
        return;
      }
      this.openRoundDue = true;
      const waitedMs = performance.now() - this.roundOut.sinceMs;
      clearTimeout(this.roundWaitTimer);
      this.roundWaitTimer = setTimeout(
        () => {
          this.roundWaitTimer = undefined;
          if (this.openReadRound === round && this.openRoundDue) this.handOpenRound();
        },
        Math.max(0, (this.options.readRoundWaitMaxMs ?? defaultReadRoundWaitMaxMs) - waitedMs),
      );
    });
    return round;
  }

  /** Hands the open round to the core; its reads are answered when a quorum has confirmed leadership. */
  private handOpenRound(): void {
    const round = this.openReadRound;
    if (round === undefined) return;
    this.openReadRound = undefined;
    this.openRoundDue = false;
    clearTimeout(this.roundWaitTimer);
    this.roundWaitTimer = undefined;
    if (this.stopped !== undefined) return;
    const soft = this.raw.softState();
    if (soft.role !== 'leader') {
      this.settleRound(round, (waiter) => waiter.reject(new NotLeaderError(soft.leaderId)));
      return;
    }
    this.roundOut = { round, sinceMs: performance.now() };
    this.raw.readIndex(new TextEncoder().encode(round));
    this.schedule();
  }

  private settleRound(round: string, settle: (waiter: ReadWaiter) => void): void {
    const waiters = this.reads.get(round);
    this.reads.delete(round);
    for (const waiter of waiters ?? []) {
      clearTimeout(waiter.timer);
      settle(waiter);
    }
    if (this.roundOut?.round === round) {
      this.roundOut = undefined;
      if (this.openRoundDue) this.handOpenRound();
    }
  }

  /** Resolves once every entry up to `index` is applied, or rejects after `timeoutMs`. */
  waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (index <= this.appliedIndex) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.appliedWaiters = this.appliedWaiters.filter((w) => w.resolve !== done);
        reject(new LoopTimeoutError(`index ${index}: timeout waiting for fsm`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.appliedWaiters.push({ index, resolve: done });
    });
  }

  /**
   * Stops taking new work, lets the Ready in hand finish (its writes synced, its entries applied), and
   * fails whatever is still waiting. The log is left for the caller to close.
   */
  async stop(): Promise<void> {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    // Let a proposal that is already in the core be written and applied before stopping.
    this.schedule();
    await this.idle;
    await this.applying;
    if (this.deferredHardState !== undefined) {
      const hardState = this.deferredHardState;
      this.deferredHardState = undefined;
      await this.log.persist({ hardState }).catch(() => undefined);
    }
    this.fail(new LoopStoppedError('node is shutting down'));
  }

  private schedule(): void {
    if (this.running || this.stopped !== undefined) return;
    if (!this.raw.hasReady()) return;
    this.running = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    setImmediate(() => {
      this.run().catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.options.logger.error(`consensus loop failed: ${failure.message}`);
        this.fail(
          new LoopStoppedError(`the node's log failed and it stopped serving writes: ${failure.message}`),
        );
      });
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.stopped === undefined && this.raw.hasReady()) {
        const ready = this.raw.ready();
        await this.handle(ready);
        this.raw.advance(ready);
      }
    } finally {
      this.running = false;
      this.markIdle();
    }
    // advance() may have produced more work (a commit after our own append was synced).
    this.schedule();
  }

  private async handle(ready: Ready): Promise<void> {
    if (ready.softState !== undefined) this.onSoftState(ready.softState);
    if (ready.messages.length > 0) this.options.send?.(ready.messages);
    await this.persist(ready);
    if (ready.snapshot !== undefined) {
      // The snapshot replaces the database: entries committed before it finish applying first.
      await this.applying;
      await this.options.installSnapshot?.(ready.snapshot);
      this.appliedIndex = Math.max(this.appliedIndex, ready.snapshot.index);
      this.releaseAppliedWaiters(this.appliedIndex);
    }
    if (ready.persistedMessages.length > 0) this.options.send?.(ready.persistedMessages);
    if (ready.committedEntries.length > 0) this.enqueueApply(ready.committedEntries);
    for (const readState of ready.readStates) {
      const round = new TextDecoder().decode(readState.context);
      this.settleRound(round, (waiter) => waiter.resolve(readState.index));
    }
  }

  private enqueueApply(entries: readonly Entry[]): void {
    this.applying = this.applying
      .then(async () => {
        if (this.stopped !== undefined) return;
        const results = await this.applyEntries(entries, this.proposedCommands(entries));
        entries.forEach((entry, i) => this.settle(entry, results[i]));
      })
      .catch((error: unknown) => {
        // An entry that cannot be applied leaves the database behind the log for good: stop serving.
        const failure = error instanceof Error ? error : new Error(String(error));
        this.options.logger.error(`applying committed entries failed: ${failure.message}`);
        this.fail(new LoopStoppedError(`the node stopped applying committed entries: ${failure.message}`));
      });
  }

  /** The commands this node proposed for `entries`, where it handed them along (see propose). */
  private proposedCommands(entries: readonly Entry[]): (Command | undefined)[] {
    return entries.map((entry) => {
      const waiter = this.proposals.get(entry.index);
      return waiter !== undefined && waiter.term === entry.term ? waiter.command : undefined;
    });
  }

  private async persist(ready: Ready): Promise<void> {
    const hardState = ready.hardState;
    if (ready.entries.length > 0) this.options.onAppend?.(ready.entries);
    const entries = this.storage.appendable(ready.entries);
    // Term and vote must be durable before any message that depends on them; a commit index need not be
    // (it is recomputed after a restart), so a change of commit alone is written with the next sync.
    const mustSync =
      entries.length > 0 ||
      ready.snapshot !== undefined ||
      (hardState !== undefined &&
        (hardState.term !== this.persistedHardState.term || hardState.vote !== this.persistedHardState.vote));
    if (hardState !== undefined) this.storage.acceptHardState(hardState);
    if (!mustSync) {
      if (hardState !== undefined) this.deferredHardState = hardState;
      return;
    }
    const toWrite = hardState ?? this.deferredHardState;
    this.deferredHardState = undefined;
    await this.log.persist({
      ...(ready.snapshot !== undefined
        ? { snapshot: { index: ready.snapshot.index, term: ready.snapshot.term } }
        : {}),
      ...(entries.length > 0 ? { entries } : {}),
      ...(toWrite !== undefined ? { hardState: toWrite } : {}),
    });
    if (toWrite !== undefined) this.persistedHardState = toWrite;
    if (ready.snapshot !== undefined) this.storage.setSnapshot(ready.snapshot);
  }

  /** Records that `entry` is applied and hands its result to whoever proposed it. */
  private settle(entry: Entry, result: unknown): void {
    this.appliedIndex = entry.index;
    const waiter = this.proposals.get(entry.index);
    if (waiter !== undefined) {
      this.proposals.delete(entry.index);
      clearTimeout(waiter.timer);
      if (waiter.term === entry.term) waiter.resolve({ index: entry.index, result });
      else waiter.reject(new LeadershipLostError());
    }
    this.releaseAppliedWaiters(entry.index);
  }

  private releaseAppliedWaiters(applied: number): void {
    if (this.appliedWaiters.length === 0) return;
    const ready = this.appliedWaiters.filter((w) => w.index <= applied);
    this.appliedWaiters = this.appliedWaiters.filter((w) => w.index > applied);
    for (const waiter of ready) waiter.resolve();
  }

  private onSoftState(state: SoftState): void {
    // The core forgets the rounds it had when this node stops leading: none of them will be answered.
    if (state.role !== 'leader' && this.roundOut !== undefined) {
      this.roundOut = undefined;
      if (this.openRoundDue) this.handOpenRound();
    }
    this.options.logger.info(
      `this node is now ${state.role}${state.leaderId === '' ? '' : `, leader ${state.leaderId}`}`,
    );
    this.options.onSoftState?.(state);
  }

  private fail(error: Error): void {
    this.stopped ??= error;
    for (const waiter of this.proposals.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.proposals.clear();
    clearTimeout(this.roundWaitTimer);
    this.roundWaitTimer = undefined;
    for (const round of [...this.reads.keys()]) this.settleRound(round, (waiter) => waiter.reject(error));
  }
}
