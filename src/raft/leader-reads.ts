// A leader's bookkeeping for linearizable reads (dissertation §6.4). Every heartbeat broadcast is a
// numbered round; a follower echoes the round, so when a quorum has echoed round R the leader knows it
// was still the leader after R was sent. A read queued before round R was sent is then safe to serve at
// the commit index it recorded. The time each round was sent also bounds the read lease.

import { invariant } from './errors.js';
import { quorumValue } from './quorum.js';
import type { NodeId } from './types.js';

export interface PendingRead {
  readonly context: Uint8Array;
  /** The commit index when the read arrived: the state to wait for before reading. */
  readonly index: number;
  /** The first heartbeat round sent after the read arrived. */
  readonly round: number;
}

/** Rounds whose send time is remembered; older ones simply stop extending the lease. */
const roundsRememberedMax = 1024;

export class LeaderReads {
  /** The last round broadcast. */
  private round = 0;
  private readonly ackedRounds = new Map<NodeId, number>();
  private queue: PendingRead[] = [];
  private queueHead = 0;
  // sentAtTicks[i] is the leader clock when round firstRememberedRound + i was sent.
  private firstRememberedRound = 1;
  private sentAtTicks: number[] = [];

  /** Starts a new round at leader clock `nowTicks` and returns its number. */
  startRound(nowTicks: number): number {
    this.round++;
    this.sentAtTicks.push(nowTicks);
    if (this.sentAtTicks.length > roundsRememberedMax)
      this.forgetRoundsBefore(this.round - roundsRememberedMax / 2);
    return this.round;
  }

  acknowledge(from: NodeId, round: number): void {
    invariant(round <= this.round, () => `node ${from} acknowledged round ${round}, not yet sent`);
    if (round > (this.ackedRounds.get(from) ?? 0)) this.ackedRounds.set(from, round);
  }

  /** The newest round a quorum of `voters` acknowledged; the leader counts as having seen every round. */
  confirmedRound(voters: ReadonlySet<NodeId>, self: NodeId): number {
    return quorumValue(voters, (id) => (id === self ? this.round : (this.ackedRounds.get(id) ?? 0)));
  }

  /** The leader clock when `round` was sent, if still remembered. */
  sentAt(round: number): number | undefined {
    if (round < this.firstRememberedRound) return undefined;
    return this.sentAtTicks[round - this.firstRememberedRound];
  }

  /** Rounds before a confirmed one can no longer extend the lease; their send times are dropped. */
  forgetRoundsBefore(round: number): void {
    const drop = Math.min(round - this.firstRememberedRound, this.sentAtTicks.length);
    if (drop <= 0) return;
    this.sentAtTicks = this.sentAtTicks.slice(drop);
    this.firstRememberedRound += drop;
  }

  enqueue(read: PendingRead): void {
    this.queue.push(read);
  }

  pendingCount(): number {
    return this.queue.length - this.queueHead;
  }

  /** Removes and returns the reads confirmed by `confirmedRound`, oldest first. */
  takeConfirmed(confirmedRound: number): PendingRead[] {
    const confirmed: PendingRead[] = [];
    while (this.queueHead < this.queue.length) {
      const read = this.queue[this.queueHead] as PendingRead;
      if (read.round > confirmedRound) break;
      confirmed.push(read);
      this.queueHead++;
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    return confirmed;
  }
}
