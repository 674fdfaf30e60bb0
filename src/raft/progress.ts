// What the leader knows about one follower's log, and how it sends to it. Three states:
// - probe: the leader does not know where the logs agree; one append at a time, backing off on rejection;
// - replicate: the logs agree up to `match`; appends are pipelined, bounded by the in-flight window;
// - snapshot: the follower needs a snapshot; nothing is sent until the transfer is reported.

import { RaftInvariantError } from './errors.js';
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** The highest index known to be in the follower's log (durably, for the leader's own progress). */
  match = 0;
  /** The next index to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** In the snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** The highest commit index sent to the follower in an append. */
  sentCommit = 0;
  /** Whether the follower was heard from since the last CheckQuorum round. */
  recentActive = false;
  /**
   * Sending is paused: in the probe state an append is outstanding; in the replicate state the window is
   * full. A heartbeat response clears it, so that one (possibly empty) append can go out and revive a
   * follower whose appends were all lost.
   */
  paused = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    public isLearner: boolean,
    inflightMessagesMax: number,
    inflightBytesMax: number,
  ) {
    this.next = next;
    this.inflights = new Inflights(inflightMessagesMax, inflightBytesMax);
  }

  private resetState(state: ProgressState): void {
    this.paused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // After a snapshot the follower holds at least the snapshot's index, unless the transfer failed
      // (then the caller cleared pendingSnapshot first).
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.sentCommit = snapshotIndex;
  }

  /**
   * Whether an append would tell the follower a commit index it has not been sent yet, for entries it
   * has been sent (it cannot commit more than it holds).
   */
  canBumpCommit(committed: number): boolean {
    return committed > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** The follower acknowledged `index`. Returns whether that was news. */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    this.paused = false;
    return true;
  }

  /**
   * The follower rejected an append after `rejected`; `matchHint` is where the logs may agree. Returns
   * false for a stale rejection (one that answers an append sent before the state changed).
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.paused = false;
    return true;
  }

  /** An append carrying `entryCount` entries (`bytes` of payload) ending at `lastIndex` was sent. */
  sentEntries(entryCount: number, lastIndex: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entryCount > 0) {
          this.next = lastIndex + 1;
          this.inflights.add(lastIndex, bytes);
        }
        this.paused = this.inflights.isFull();
        return;
      case 'probe':
        if (entryCount > 0) this.paused = true;
        return;
      case 'snapshot':
        throw new RaftInvariantError('an append was sent to a follower that is receiving a snapshot');
    }
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
      case 'replicate':
        return this.paused;
      case 'snapshot':
        return true;
    }
  }

  describe(): string {
    const flags = [
      this.isLearner ? ' learner' : '',
      this.isPaused() ? ' paused' : '',
      this.pendingSnapshot > 0 ? ` pendingSnapshot=${this.pendingSnapshot}` : '',
      this.inflights.size() > 0 ? ` inflight=${this.inflights.size()}` : '',
    ].join('');
    return `${this.state} match=${this.match} next=${this.next}${flags}`;
  }
}
