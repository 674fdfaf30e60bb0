// The Raft state machine: terms, roles, elections, replication, commitment, membership, reads and
// leadership transfer. It performs no I/O: inputs arrive as tick(), step() and method calls; outputs
// accumulate in `messages`, `persistedMessages`, `readStates` and the log, and RawNode hands them to the
// application as a Ready. Handling that depends on the role lives in step-leader.ts, step-candidate.ts
// and step-follower.ts; this file holds the state and the operations those handlers share.
//
// A few decisions are small overridable methods (mayGrantVote, mayCommitByCounting, deliveryOf). They are
// the rules the simulator's deliberately broken variants replace, to prove that its checkers notice.

import type { RaftConfig } from './config.js';
import {
  ConfChangeRejectedError,
  invariant,
  NotLeaderError,
  ProposalDroppedError,
  RaftUsageError,
  TransferRejectedError,
} from './errors.js';
import { LeaderReads } from './leader-reads.js';
import { applyConfChange, encodeConfChangeEntry, type ConfChange, type Configuration } from './membership.js';
import {
  dispatch,
  type AppendRequest,
  type HeartbeatRequest,
  type InstallSnapshotRequest,
  type Message,
  type MessageHandlers,
  type PreVoteRequest,
  type VoteRequest,
} from './messages.js';
import { Progress } from './progress.js';
import { quorumValue, voteResult, type VoteResult } from './quorum.js';
import { RaftLog } from './raft-log.js';
import { candidateHandlers } from './step-candidate.js';
import { followerHandlers } from './step-follower.js';
import { leaderHandlers } from './step-leader.js';
import type { Storage } from './storage.js';
import type {
  Entry,
  EntryType,
  HardState,
  NodeId,
  ReadState,
  Role,
  SnapshotMetadata,
  SoftState,
} from './types.js';

/** Where a position in the log was assigned: returned by proposals so the caller can match the outcome. */
export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

export type ReadMode = 'quorum' | 'lease';

export type SnapshotReport = 'finished' | 'failed';

/** Whether a message may leave before the current Ready is durable, or only after. */
export type Delivery = 'immediate' | 'afterPersist';

interface AwaitingRead {
  readonly context: Uint8Array;
  readonly mode: ReadMode;
}

const roleHandlers: Record<Role, MessageHandlers<Raft>> = {
  follower: followerHandlers,
  preCandidate: candidateHandlers,
  candidate: candidateHandlers,
  leader: leaderHandlers,
};

const emptyData = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;

  term = 0;
  vote: NodeId = '';
  role: Role = 'follower';
  leaderId: NodeId = '';

  /** Leader only: what is known of each member's log, including the leader's own durable log. */
  readonly progress = new Map<NodeId, Progress>();
  /** Candidate and pre-candidate only: answers received. */
  private readonly votes = new Map<NodeId, boolean>();

  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /**
   * With CheckQuorum, a node that has just started behaves as if it had heard from a leader: it ignores
   * vote requests for one election timeout. Otherwise a crash and restart would let a node vote at once,
   * cutting short the lease it had granted the current leader.
   */
  private startupQuiet: boolean;

  /** Leader only: the node leadership is being handed to, '' when none. */
  leadTransferee: NodeId = '';
  /** Leader only: a TimeoutNow was sent this term; a delayed one may start an election any time, so no lease. */
  private timeoutNowSent = false;
  /** Leader only: ticks since this node became leader; the clock of the read lease. */
  private leaderClockTicks = 0;
  private reads = new LeaderReads();
  private readsAwaitingCommit: AwaitingRead[] = [];
  /** Leader only: payload bytes appended in this term and not yet applied. */
  private uncommittedBytes = 0;
  /** Leader only: proposals were appended and the broadcast that sends them is still to do. */
  broadcastPending = false;

  /** Messages that may be sent before the pending state is durable. */
  messages: Message[] = [];
  /** Messages to send only once the Ready carrying them is durable. */
  persistedMessages: Message[] = [];
  readStates: ReadState[] = [];

  /** The term and vote of the last hard state the application made durable. */
  private durableTerm: number;
  private durableVote: NodeId;

  constructor(
    readonly config: RaftConfig,
    storage: Storage,
  ) {
    this.id = config.id;
    this.log = new RaftLog(storage, config.appliedIndex);
    const { hardState } = storage.initialState();
    this.durableTerm = hardState.term;
    this.durableVote = hardState.vote;
    const lastTerm = this.log.lastTerm();
    if (lastTerm > hardState.term) {
      // A crash kept entries of a newer term but not the hard state written after them. The vote of that
      // term was never acknowledged to anyone (votes leave only once durable), so none is recorded.
      this.term = lastTerm;
      this.vote = '';
    } else {
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    // A commit index is a fact about the cluster, so an application may write a change of it alone
    // lazily: everything it applied or snapshotted was committed, whatever the persisted commit says.
    const commit = Math.max(hardState.commit, storage.snapshot().index, this.log.applied);
    invariant(
      commit <= this.log.lastIndex(),
      () =>
        `commit index ${commit} (persisted or applied) is beyond the persisted log's last index ${this.log.lastIndex()}`,
    );
    this.log.commitTo(commit);
    // A node that never saw a term never acknowledged a leader, so it has no lease to honour.
    this.startupQuiet = config.checkQuorum && hardState.term > 0;
    this.becomeFollower(this.term, '');
  }

  // ---------------------------------------------------------------------------------------------------
  // Observations

  configuration(): Configuration {
    return this.log.configuration();
  }

  softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /**
   * Whether this node may campaign: no snapshot pending, and a voter of its newest configuration, or of
   * the configuration at its commit index while a newer one that demotes or removes it is uncommitted.
   * The latter matters: that change may still be undone, and this node may hold the only log a quorum
   * would elect (nodes that lack the change refuse anyone less up to date than this node). It then counts
   * votes in the newest configuration and, once leader, commits the change and steps down (§4.2.2).
   */
  promotable(): boolean {
    if (this.log.unstable.snapshot !== undefined) return false;
    if (this.configuration().isVoter(this.id)) return true;
    const history = this.log.configurations;
    return history.currentIndex() > this.log.committed && history.at(this.log.committed).isVoter(this.id);
  }

  committedInCurrentTerm(): boolean {
    return this.log.termIfKnown(this.log.committed) === this.term;
  }

  // ---------------------------------------------------------------------------------------------------
  // Overridable rules (see the header comment)

  /** §5.2, §5.4.1: one vote per term, first come first served, only for an up-to-date log. */
  mayGrantVote(request: VoteRequest | PreVoteRequest): boolean {
    const canVote =
      this.vote === request.from ||
      (this.vote === '' && this.leaderId === '') ||
      (request.type === 'preVote' && request.term > this.term);
    return canVote && this.log.isUpToDate(request.lastIndex, request.lastTerm);
  }

  /** §5.4.2: a leader commits by counting replicas only entries of its own term. */
  mayCommitByCounting(index: number): boolean {
    return this.log.termIfKnown(index) === this.term;
  }

  /**
   * What a message depends on decides when it may leave. A response to an append or a vote reports
   * state that must survive a crash, so it waits for persistence; so does everything while the term
   * or vote is not yet durable. A leader's appends, heartbeats, snapshots and TimeoutNow, pre-vote
   * requests and heartbeat answers carry nothing un-persisted the receiver could rely on, so they leave
   * at once: in particular the leader sends new entries while it writes them (it counts itself only once
   * they are durable), and a follower confirms a read round without waiting for its disk.
   */
  deliveryOf(message: Message): Delivery {
    if (this.term !== this.durableTerm || this.vote !== this.durableVote) return 'afterPersist';
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'installSnapshot':
      case 'timeoutNow':
      case 'preVote':
      case 'heartbeatResponse':
        return 'immediate';
      case 'appendResponse':
      case 'vote':
      case 'voteResponse':
      case 'preVoteResponse':
        return 'afterPersist';
    }
  }

  send(message: Message): void {
    if (this.deliveryOf(message) === 'immediate') this.messages.push(message);
    else this.persistedMessages.push(message);
  }

  // ---------------------------------------------------------------------------------------------------
  // Role changes

  private resetElectionTimeout(): void {
    const base = this.config.electionTimeoutTicks;
    this.randomizedElectionTimeout = base + this.config.random.nextInt(base);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      invariant(term > this.term, () => `term moving backwards from ${this.term} to ${term}`);
      this.term = term;
      this.vote = '';
    }
    this.leaderId = '';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.leadTransferee = '';
    this.timeoutNowSent = false;
    this.votes.clear();
    this.progress.clear();
    this.leaderClockTicks = 0;
    this.reads = new LeaderReads();
    this.readsAwaitingCommit = [];
    this.uncommittedBytes = 0;
    this.broadcastPending = false;
  }

  becomeFollower(term: number, leaderId: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', () => 'a leader cannot become a pre-candidate');
    // A pre-candidate changes neither its term nor its vote: that is the point of pre-voting.
    this.votes.clear();
    this.progress.clear();
    this.role = 'preCandidate';
    this.leaderId = '';
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', () => 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    invariant(this.role === 'candidate', () => `only a candidate can become leader, not a ${this.role}`);
    this.reset(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    this.rebuildProgress();
    // §5.4.2 and §8: an entry of the new term, so that everything before it can be committed.
    this.appendEntries([{ index: this.log.lastIndex() + 1, term: this.term, type: 'noop', data: emptyData }]);
  }

  /** Brings the leader's progress map in line with the current configuration. */
  private rebuildProgress(): void {
    const configuration = this.configuration();
    for (const id of [...this.progress.keys()]) {
      if (!configuration.isMember(id)) this.progress.delete(id);
    }
    for (const id of configuration.members()) {
      const isLearner = !configuration.isVoter(id);
      const existing = this.progress.get(id);
      if (existing !== undefined) {
        existing.isLearner = isLearner;
        continue;
      }
      const progress = new Progress(
        this.log.lastIndex() + 1,
        isLearner,
        this.config.inflightMessagesMax,
        this.config.inflightBytesMax,
      );
      // A new member gets one CheckQuorum round to answer before it counts as unreachable.
      progress.recentActive = true;
      if (id === this.id) {
        // The leader counts for itself only what is durable; advance() moves this forward.
        progress.match = this.log.lastDurableIndex();
        progress.becomeReplicate();
      }
      this.progress.set(id, progress);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Time

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTimeoutTicks) this.startupQuiet = false;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.startElection(false);
    }
  }

  private tickLeader(): void {
    this.leaderClockTicks++;
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumRecentlyActive()) {
        // Dissertation §6.2: a leader cut off from a quorum steps down rather than serve stale reads.
        this.becomeFollower(this.term, '');
        return;
      }
      for (const [id, progress] of this.progress) if (id !== this.id) progress.recentActive = false;
      // A transfer that did not finish within an election timeout is abandoned (dissertation §3.10).
      this.leadTransferee = '';
    }
    if (this.heartbeatElapsed >= this.config.heartbeatIntervalTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  private quorumRecentlyActive(): boolean {
    const voters = this.configuration().voters;
    const active = quorumValue(voters, (id) =>
      id === this.id || this.progress.get(id)?.recentActive === true ? 1 : 0,
    );
    return active === 1;
  }

  /**
   * Whether a vote request should be ignored because a leader was heard from within the last election
   * timeout (dissertation §4.2.3): it keeps removed or partitioned nodes from disrupting a working
   * leader, and it is what makes the read lease sound.
   */
  inLease(): boolean {
    return (
      this.config.checkQuorum &&
      this.electionElapsed < this.config.electionTimeoutTicks &&
      (this.leaderId !== '' || this.startupQuiet)
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // Elections

  /** Starts an election now, as if the election timeout had passed. Does nothing on a leader or non-voter. */
  campaign(): void {
    if (this.role === 'leader') return;
    this.startElection(false);
  }

  /** `transfer`: started by TimeoutNow, so skip pre-voting and override leases. */
  startElection(transfer: boolean): void {
    if (!this.promotable()) return;
    if (this.config.preVote && !transfer) this.campaignPreVote();
    else this.campaignElection(transfer);
  }

  private campaignPreVote(): void {
    this.becomePreCandidate();
    if (this.poll(this.id, true) === 'won') {
      this.campaignElection(false);
      return;
    }
    const { index, term } = this.log.lastEntryId();
    for (const voter of this.configuration().members()) {
      if (voter === this.id || !this.configuration().isVoter(voter)) continue;
      this.send({
        type: 'preVote',
        from: this.id,
        to: voter,
        term: this.term + 1,
        lastIndex: index,
        lastTerm: term,
      });
    }
  }

  /** Campaigns for real: a new term and a vote for ourselves (§5.2). */
  campaignElection(transfer: boolean): void {
    this.becomeCandidate();
    if (this.poll(this.id, true) === 'won') {
      this.becomeLeader();
      this.broadcastAppend();
      return;
    }
    const { index, term } = this.log.lastEntryId();
    for (const voter of this.configuration().members()) {
      if (voter === this.id || !this.configuration().isVoter(voter)) continue;
      this.send({
        type: 'vote',
        from: this.id,
        to: voter,
        term: this.term,
        lastIndex: index,
        lastTerm: term,
        transfer,
      });
    }
  }

  /** Records an answer and tallies the election. */
  poll(from: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return voteResult(this.configuration().voters, this.votes);
  }

  /** The answer to a vote or pre-vote request, for every role. */
  handleVoteRequest(request: VoteRequest | PreVoteRequest): void {
    const responseType = request.type === 'vote' ? 'voteResponse' : 'preVoteResponse';
    if (this.mayGrantVote(request)) {
      // The response carries the request's term: for a pre-vote that is our term + 1, and the
      // pre-candidate would ignore an answer from its past.
      this.send({ type: responseType, from: this.id, to: request.from, term: request.term, reject: false });
      if (request.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = request.from;
      }
    } else {
      this.send({ type: responseType, from: this.id, to: request.from, term: this.term, reject: true });
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Stepping messages

  step(message: Message): void {
    if (message.to !== this.id) {
      throw new RaftUsageError(`message for node ${message.to} was delivered to node ${this.id}`);
    }
    if (message.term > this.term) {
      if ((message.type === 'vote' && !message.transfer) || message.type === 'preVote') {
        if (this.inLease()) return;
      }
      const keepsTerm = message.type === 'preVote' || (message.type === 'preVoteResponse' && !message.reject);
      if (!keepsTerm) {
        const fromLeader =
          message.type === 'append' || message.type === 'heartbeat' || message.type === 'installSnapshot';
        this.becomeFollower(message.term, fromLeader ? message.from : '');
      }
    } else if (message.term < this.term) {
      this.answerStaleMessage(message);
      return;
    }
    dispatch(roleHandlers[this.role], this, message);
  }

  /**
   * §5.1: a request from an older term is refused with our term, so that its sender catches up. From a
   * leader (append, heartbeat, snapshot), the message was delayed, or our term grew where that leader
   * could not hear of it (a partition, vote requests it ignores under CheckQuorum, a removed node's request
   * that reached only us); the answer lets it step down. Silence could wedge a node that cannot campaign
   * itself (a learner) for good. From a candidate, silence can leave it chasing our term forever while
   * other campaigns raise it as fast; the simulator found both.
   */
  private answerStaleMessage(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'installSnapshot':
        this.send({
          type: 'appendResponse',
          from: this.id,
          to: message.from,
          term: this.term,
          reject: false,
          index: 0,
          rejectHintIndex: 0,
          rejectHintTerm: 0,
        });
        return;
      case 'vote':
        this.send({ type: 'voteResponse', from: this.id, to: message.from, term: this.term, reject: true });
        return;
      case 'preVote':
        this.send({
          type: 'preVoteResponse',
          from: this.id,
          to: message.from,
          term: this.term,
          reject: true,
        });
        return;
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'voteResponse':
      case 'preVoteResponse':
      case 'timeoutNow':
        // Answers and instructions from an older term change nothing.
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Follower side of replication

  handleAppend(message: AppendRequest): void {
    if (message.prevIndex < this.log.committed) {
      this.sendAppendResponse(message.from, this.log.committed);
      return;
    }
    const result = this.log.maybeAppend(message.prevIndex, message.prevTerm, message.commit, message.entries);
    if (result !== undefined) {
      if (result.configurationChanged) this.onConfigurationChanged();
      this.sendAppendResponse(message.from, result.lastNewIndex);
      return;
    }
    const hint = this.log.findConflictByTerm(
      Math.min(message.prevIndex, this.log.lastIndex()),
      message.prevTerm,
    );
    this.send({
      type: 'appendResponse',
      from: this.id,
      to: message.from,
      term: this.term,
      reject: true,
      index: message.prevIndex,
      rejectHintIndex: hint.index,
      rejectHintTerm: hint.term,
    });
  }

  private sendAppendResponse(to: NodeId, index: number): void {
    this.send({
      type: 'appendResponse',
      from: this.id,
      to,
      term: this.term,
      reject: false,
      index,
      rejectHintIndex: 0,
      rejectHintTerm: 0,
    });
  }

  handleHeartbeat(message: HeartbeatRequest): void {
    // The leader sends at most what we acknowledged; less in our log means acknowledged entries were lost.
    invariant(
      message.commit <= this.log.lastIndex(),
      () =>
        `leader ${message.from} reports entries up to ${message.commit} committed with this node's help, but ` +
        `this log ends at ${this.log.lastIndex()}: entries acknowledged as durable were lost`,
    );
    this.log.commitTo(message.commit);
    this.send({
      type: 'heartbeatResponse',
      from: this.id,
      to: message.from,
      term: this.term,
      round: message.round,
    });
  }

  handleInstallSnapshot(message: InstallSnapshotRequest): void {
    const restored = this.restore(message.snapshot);
    this.sendAppendResponse(message.from, restored ? this.log.lastIndex() : this.log.committed);
  }

  /** §7: adopts a snapshot that is ahead of our commit index. Returns whether the log was replaced. */
  private restore(snapshot: SnapshotMetadata): boolean {
    if (snapshot.index <= this.log.committed) return false;
    invariant(this.role === 'follower', () => `a ${this.role} was asked to restore a snapshot`);
    if (this.log.matchTerm(snapshot.index, snapshot.term)) {
      // Our log already holds the snapshot's last entry: it is committed, and nothing needs replacing.
      this.log.commitTo(snapshot.index);
      return false;
    }
    this.log.restore(snapshot);
    this.onConfigurationChanged();
    return true;
  }

  // ---------------------------------------------------------------------------------------------------
  // Leader side of replication

  /** Appends entries at the end of the leader's log; they are sent by the next broadcast. */
  private appendEntries(entries: readonly Entry[]): void {
    const configurationChanged = this.log.append(entries);
    for (const entry of entries) this.uncommittedBytes += entry.data.byteLength;
    this.broadcastPending = true;
    if (configurationChanged) this.onConfigurationChanged();
  }

  /** Sends what proposals appended since the last broadcast. */
  flushBroadcast(): void {
    if (!this.broadcastPending) return;
    this.broadcastPending = false;
    if (this.role === 'leader') this.broadcastAppend();
  }

  broadcastAppend(): void {
    this.broadcastPending = false;
    for (const id of this.progress.keys()) {
      if (id !== this.id) this.sendAppend(id);
    }
  }

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends the follower the entries it is missing, or a snapshot when they are compacted. With
   * `sendIfEmpty` false, nothing is sent when there are no entries. Returns whether a message was sent.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = this.progress.get(to);
    if (progress === undefined || progress.isPaused()) return false;
    const prevIndex = progress.next - 1;
    const prevTerm = this.log.termIfKnown(prevIndex);
    if (prevTerm === undefined) {
      invariant(
        prevIndex < this.log.firstIndex(),
        () => `progress of ${to} points past the log: next ${progress.next}, last ${this.log.lastIndex()}`,
      );
      return this.maybeSendSnapshot(to, progress);
    }
    const lastIndex = this.log.lastIndex();
    // With a full window only an empty append goes out: if every message in the window was lost, its
    // answer (acknowledgement or rejection) is what unblocks replication.
    const windowFull = progress.state === 'replicate' && progress.inflights.isFull();
    const entries =
      progress.next <= lastIndex && !windowFull
        ? this.log.slice(progress.next, lastIndex + 1, this.config.messageBytesMax)
        : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const entry of entries) bytes += entry.data.byteLength;
    this.send({
      type: 'append',
      from: this.id,
      to,
      term: this.term,
      prevIndex,
      prevTerm,
      entries,
      commit: this.log.committed,
    });
    progress.sentEntries(entries.length, prevIndex + entries.length, bytes);
    progress.sentCommit = this.log.committed;
    return true;
  }

  private maybeSendSnapshot(to: NodeId, progress: Progress): boolean {
    // A follower that has not answered lately may be down; streaming a snapshot to it would be wasted.
    if (!progress.recentActive) return false;
    const snapshot = this.log.storage.snapshot();
    invariant(
      snapshot.index >= this.log.firstIndex() - 1,
      () =>
        `storage snapshot ${snapshot.index} does not cover the compacted log (first ${this.log.firstIndex()})`,
    );
    progress.becomeSnapshot(snapshot.index);
    this.send({ type: 'installSnapshot', from: this.id, to, term: this.term, snapshot });
    return true;
  }

  /** Sends a heartbeat round to every member and returns the round's number. */
  broadcastHeartbeat(): number {
    const round = this.reads.startRound(this.leaderClockTicks);
    for (const [id, progress] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(progress.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, round });
    }
    return round;
  }

  /** Advances the commit index to what a quorum holds. Returns whether it moved. */
  maybeCommit(): boolean {
    const voters = this.configuration().voters;
    const index = quorumValue(voters, (id) => this.progress.get(id)?.match ?? 0);
    if (index <= this.log.committed || !this.mayCommitByCounting(index)) return false;
    this.log.commitTo(index);
    return true;
  }

  /** What follows a commit on the leader: waiting reads, followers told, a removed leader stepping down. */
  onCommitAdvanced(): void {
    if (this.readsAwaitingCommit.length > 0 && this.committedInCurrentTerm())
      this.releaseReadsAwaitingCommit();
    this.broadcastAppend();
    this.stepDownIfRemoved();
  }

  /** Dissertation §4.2.2: a leader not in the configuration steps down once that configuration commits. */
  private stepDownIfRemoved(): void {
    if (this.role !== 'leader' || this.configuration().isVoter(this.id)) return;
    if (this.log.configurations.currentIndex() <= this.log.committed) this.becomeFollower(this.term, '');
  }

  /** The application made everything up to the last Ready durable. */
  onDurable(hardState: HardState | undefined): void {
    if (hardState !== undefined) {
      this.durableTerm = hardState.term;
      this.durableVote = hardState.vote;
    }
    if (this.role !== 'leader') return;
    const self = this.progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(this.log.lastDurableIndex()) && this.maybeCommit()) {
      this.onCommitAdvanced();
    }
  }

  /** The configuration changed (entry appended or truncated, or snapshot restored). */
  onConfigurationChanged(): void {
    if (this.role !== 'leader') return;
    this.rebuildProgress();
    if (this.leadTransferee !== '' && !this.configuration().isVoter(this.leadTransferee))
      this.leadTransferee = '';
    // Removing a voter can make the entries a smaller quorum already holds committed.
    if (this.maybeCommit()) this.onCommitAdvanced();
    else this.stepDownIfRemoved();
  }

  reduceUncommittedBytes(applied: readonly Entry[]): void {
    if (this.role !== 'leader') return;
    let bytes = 0;
    for (const entry of applied) bytes += entry.data.byteLength;
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - bytes);
  }

  sendTimeoutNow(to: NodeId): void {
    this.timeoutNowSent = true;
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  // ---------------------------------------------------------------------------------------------------
  // Requests from the application

  private requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId);
  }

  private proposeEntry(type: EntryType, data: Uint8Array): LogPosition {
    this.requireLeader();
    if (!this.configuration().isMember(this.id)) throw new ProposalDroppedError('notMember');
    if (this.leadTransferee !== '') throw new ProposalDroppedError('leadershipTransfer');
    if (
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + data.byteLength > this.config.uncommittedBytesMax
    ) {
      throw new ProposalDroppedError('uncommittedBytesLimit');
    }
    const index = this.log.lastIndex() + 1;
    const term = this.term;
    // Entries keep one property order everywhere, so that the engine sees a single object shape.
    this.appendEntries([{ index, term, type, data }]);
    return { index, term };
  }

  propose(data: Uint8Array): LogPosition {
    return this.proposeEntry('normal', data);
  }

  proposeConfChange(change: ConfChange): LogPosition {
    this.requireLeader();
    const pendingIndex = this.log.configurations.currentIndex();
    if (pendingIndex > this.log.committed) {
      throw new ConfChangeRejectedError(
        `the change at index ${pendingIndex} is not committed yet; retry after it`,
      );
    }
    if (!this.committedInCurrentTerm()) {
      // Without this rule a change could be decided on a configuration a new leader is about to
      // overwrite (the single-server change bug the dissertation's errata describe).
      throw new ConfChangeRejectedError(
        'this leader has not committed an entry of its term yet; retry shortly',
      );
    }
    const confState = applyConfChange(this.configuration(), change);
    return this.proposeEntry('confChange', encodeConfChangeEntry({ change, confState }));
  }

  readIndex(context: Uint8Array, mode: ReadMode): void {
    this.requireLeader();
    if (this.reads.pendingCount() + this.readsAwaitingCommit.length >= this.config.pendingReadsMax) {
      throw new ProposalDroppedError('pendingReadsLimit');
    }
    if (!this.committedInCurrentTerm()) {
      // §6.4: until its no-op commits, the leader's commit index may lag what earlier leaders committed.
      this.readsAwaitingCommit.push({ context, mode });
      return;
    }
    this.serveReads([{ context, mode }]);
  }

  private releaseReadsAwaitingCommit(): void {
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    this.serveReads(waiting);
  }

  /** Answers reads at the current commit index, by lease when allowed, else after one shared round. */
  private serveReads(reads: readonly AwaitingRead[]): void {
    const index = this.log.committed;
    const voters = this.configuration().voters;
    if (voters.size === 1 && voters.has(this.id)) {
      for (const read of reads) this.readStates.push({ index, context: read.context, confirmedBy: 'quorum' });
      return;
    }
    const leaseValid = this.leaseValid();
    const needRound: AwaitingRead[] = [];
    for (const read of reads) {
      if (read.mode === 'lease' && leaseValid) {
        this.readStates.push({ index, context: read.context, confirmedBy: 'lease' });
      } else {
        needRound.push(read);
      }
    }
    if (needRound.length === 0) return;
    const round = this.broadcastHeartbeat();
    for (const read of needRound) this.reads.enqueue({ context: read.context, index, round });
  }

  /**
   * The lease: a quorum acknowledged a heartbeat round sent at leader clock T, and each of them ignores
   * vote requests for an election timeout after receiving it, so no other leader can exist before
   * T + electionTimeout by their clocks. The margin absorbs tick granularity and clock drift (DESIGN.md).
   */
  leaseValid(): boolean {
    if (!this.config.checkQuorum || this.role !== 'leader') return false;
    if (this.timeoutNowSent || this.leadTransferee !== '' || !this.committedInCurrentTerm()) return false;
    const confirmed = this.reads.confirmedRound(this.configuration().voters, this.id);
    const sentAt = this.reads.sentAt(confirmed);
    if (confirmed === 0 || sentAt === undefined) return false;
    return this.leaderClockTicks < sentAt + this.config.electionTimeoutTicks - this.config.leaseMarginTicks;
  }

  /** A heartbeat response acknowledged `round`; release the reads a quorum has now confirmed. */
  acknowledgeRound(from: NodeId, round: number): void {
    const voters = this.configuration().voters;
    if (!voters.has(from)) return;
    this.reads.acknowledge(from, round);
    const confirmed = this.reads.confirmedRound(voters, this.id);
    for (const read of this.reads.takeConfirmed(confirmed)) {
      this.readStates.push({ index: read.index, context: read.context, confirmedBy: 'quorum' });
    }
    this.reads.forgetRoundsBefore(confirmed);
  }

  transferLeadership(to: NodeId): void {
    this.requireLeader();
    if (to === this.id) throw new TransferRejectedError('this node is already the leader');
    if (!this.configuration().isVoter(to)) throw new TransferRejectedError(`node ${to} is not a voter`);
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer must finish within an election timeout; tickLeader abandons it otherwise.
    this.electionElapsed = 0;
    const progress = this.progress.get(to);
    invariant(progress !== undefined, () => `voter ${to} has no progress on the leader`);
    if (progress.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  reportSnapshot(to: NodeId, report: SnapshotReport): void {
    if (this.role !== 'leader') return;
    const progress = this.progress.get(to);
    if (progress === undefined || progress.state !== 'snapshot') return;
    // On failure forget the snapshot, or probing would start after an index the follower never got.
    if (report === 'failed') progress.pendingSnapshot = 0;
    progress.becomeProbe();
    // Wait for the follower's answer (or the next heartbeat response) before probing.
    progress.paused = true;
  }

  reportUnreachable(to: NodeId): void {
    if (this.role !== 'leader') return;
    const progress = this.progress.get(to);
    // Pipelined appends to an unreachable node are probably lost; fall back to probing.
    if (progress !== undefined && progress.state === 'replicate') progress.becomeProbe();
  }

  /** Releases accumulated outputs. */
  takeMessages(): { messages: Message[]; persistedMessages: Message[]; readStates: ReadState[] } {
    const out = {
      messages: this.messages,
      persistedMessages: this.persistedMessages,
      readStates: this.readStates,
    };
    this.messages = [];
    this.persistedMessages = [];
    this.readStates = [];
    return out;
  }

  hasOutput(): boolean {
    return (
      this.broadcastPending ||
      this.messages.length > 0 ||
      this.persistedMessages.length > 0 ||
      this.readStates.length > 0
    );
  }
}
