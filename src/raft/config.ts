// The core's settings, validated once when a node starts. Every limit has a default and a name that
// ends in its unit.

import { RaftConfigError } from './errors.js';
import type { RandomSource } from './random.js';
import type { NodeId } from './types.js';

export interface RaftOptions {
  readonly id: NodeId;
  /** Source of the randomized election timeouts. Seed it, and a whole cluster replays exactly. */
  readonly random: RandomSource;
  /**
   * Ticks a follower waits without hearing from a leader before it campaigns; the actual timeout is
   * drawn from [electionTimeoutTicks, 2 × electionTimeoutTicks). Default 10.
   */
  readonly electionTimeoutTicks?: number;
  /** Ticks between a leader's heartbeats. Must be less than electionTimeoutTicks. Default 1. */
  readonly heartbeatIntervalTicks?: number;
  /** Ask for pre-votes before incrementing the term (dissertation §9.6). Default true. */
  readonly preVote?: boolean;
  /**
   * A leader steps down when it has not heard from a quorum for an election timeout, and followers
   * ignore vote requests while they hear from a leader (dissertation §6.2 and §4.2.3). Required for
   * lease reads. Default true.
   */
  readonly checkQuorum?: boolean;
  /** The index the application's state machine has already applied (from its snapshot) at start. */
  readonly appliedIndex?: number;
  /** Payload bytes of entries in one append message (at least one entry is always sent). Default 1 MiB. */
  readonly messageBytesMax?: number;
  /** Append messages in flight to one follower before the leader waits for acknowledgements. Default 256. */
  readonly inflightMessagesMax?: number;
  /** Payload bytes in flight to one follower. Default 32 MiB. */
  readonly inflightBytesMax?: number;
  /** Payload bytes the leader accepts before they are committed; more proposals are dropped. Default 64 MiB. */
  readonly uncommittedBytesMax?: number;
  /** Payload bytes of committed entries handed out in one Ready. Default 16 MiB. */
  readonly applyBytesMax?: number;
  /** Read requests awaiting confirmation at once; more are dropped. Default 4096. */
  readonly pendingReadsMax?: number;
  /**
   * Lease reads end this many ticks before an election timeout has passed since the heartbeat round a
   * quorum acknowledged. It absorbs tick granularity and clock drift (see DESIGN.md). Default 2, at least 1.
   */
  readonly leaseMarginTicks?: number;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly random: RandomSource;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly appliedIndex: number | undefined;
  readonly messageBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly inflightBytesMax: number;
  readonly uncommittedBytesMax: number;
  readonly applyBytesMax: number;
  readonly pendingReadsMax: number;
  readonly leaseMarginTicks: number;
}

const mebibyte = 1024 * 1024;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RaftConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function resolveRaftConfig(options: RaftOptions): RaftConfig {
  if (typeof options.id !== 'string' || options.id === '') {
    throw new RaftConfigError('id must be a non-empty string');
  }
  const electionTimeoutTicks = positiveInteger('electionTimeoutTicks', options.electionTimeoutTicks ?? 10);
  const heartbeatIntervalTicks = positiveInteger(
    'heartbeatIntervalTicks',
    options.heartbeatIntervalTicks ?? 1,
  );
  if (heartbeatIntervalTicks >= electionTimeoutTicks) {
    throw new RaftConfigError(
      `heartbeatIntervalTicks (${heartbeatIntervalTicks}) must be less than electionTimeoutTicks (${electionTimeoutTicks})`,
    );
  }
  const leaseMarginTicks = positiveInteger('leaseMarginTicks', options.leaseMarginTicks ?? 2);
  if (leaseMarginTicks >= electionTimeoutTicks) {
    throw new RaftConfigError(
      `leaseMarginTicks (${leaseMarginTicks}) must be less than electionTimeoutTicks (${electionTimeoutTicks})`,
    );
  }
  const appliedIndex = options.appliedIndex;
  if (appliedIndex !== undefined && (!Number.isSafeInteger(appliedIndex) || appliedIndex < 0)) {
    throw new RaftConfigError(`appliedIndex must be a non-negative integer, got ${appliedIndex}`);
  }
  return {
    id: options.id,
    random: options.random,
    electionTimeoutTicks,
    heartbeatIntervalTicks,
    preVote: options.preVote ?? true,
    checkQuorum: options.checkQuorum ?? true,
    appliedIndex,
    messageBytesMax: positiveInteger('messageBytesMax', options.messageBytesMax ?? mebibyte),
    inflightMessagesMax: positiveInteger('inflightMessagesMax', options.inflightMessagesMax ?? 256),
    inflightBytesMax: positiveInteger('inflightBytesMax', options.inflightBytesMax ?? 32 * mebibyte),
    uncommittedBytesMax: positiveInteger('uncommittedBytesMax', options.uncommittedBytesMax ?? 64 * mebibyte),
    applyBytesMax: positiveInteger('applyBytesMax', options.applyBytesMax ?? 16 * mebibyte),
    pendingReadsMax: positiveInteger('pendingReadsMax', options.pendingReadsMax ?? 4096),
    leaseMarginTicks,
  };
}

/**
 * The smallest lease margin that keeps lease reads safe when tick clocks may run at different rates:
 * `clockRateRatioMax` is the fastest node's tick rate divided by the slowest's (1 when all are equal).
 * A lease lasts (E - margin) leader ticks after a round was sent; a follower that acknowledged it ignores
 * vote requests for at least (E - 1) of its own ticks (one tick is lost to granularity). Safety needs
 * (E - margin) × slowest period <= (E - 1) × fastest period, that is margin >= E - (E - 1) / ratio.
 */
export function requiredLeaseMarginTicks(electionTimeoutTicks: number, clockRateRatioMax: number): number {
  if (!(clockRateRatioMax >= 1)) {
    throw new RaftConfigError(`clockRateRatioMax must be at least 1, got ${clockRateRatioMax}`);
  }
  const margin = Math.ceil(electionTimeoutTicks - (electionTimeoutTicks - 1) / clockRateRatioMax - 1e-9);
  return Math.max(1, margin);
}
