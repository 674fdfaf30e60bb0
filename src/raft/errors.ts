// Typed errors of the consensus core. Operating errors (not the leader, proposal dropped, storage
// bounds) are values the application handles; `RaftInvariantError` means the core or its storage broke a
// rule that must never break, and the node must stop rather than risk the cluster's data.

import type { NodeId } from './types.js';

export abstract class RaftError extends Error {
  abstract readonly code: string;
}

/** The request needs the leader and this node is not it. `leaderId` is '' when no leader is known. */
export class NotLeaderError extends RaftError {
  readonly code = 'NOT_LEADER';
  constructor(readonly leaderId: NodeId) {
    super(
      leaderId === ''
        ? 'this node is not the leader and no leader is known; retry after an election'
        : `this node is not the leader; send the request to node ${leaderId}`,
    );
    this.name = 'NotLeaderError';
  }
}

export type ProposalDropReason =
  'leadershipTransfer' | 'uncommittedBytesLimit' | 'notMember' | 'pendingReadsLimit';

const dropExplanations: Record<ProposalDropReason, string> = {
  leadershipTransfer: 'leadership is being transferred; retry on the new leader',
  uncommittedBytesLimit:
    'too many bytes are proposed but not yet committed; retry when the cluster catches up',
  notMember: 'this leader has been removed from the configuration and is stepping down',
  pendingReadsLimit: 'too many read requests are awaiting confirmation; retry shortly',
};

/** The leader refused a proposal or read without appending anything; retrying is safe. */
export class ProposalDroppedError extends RaftError {
  readonly code = 'PROPOSAL_DROPPED';
  constructor(readonly reason: ProposalDropReason) {
    super(`proposal dropped: ${dropExplanations[reason]}`);
    this.name = 'ProposalDroppedError';
  }
}

/** A membership change that would be unsafe or meaningless now; nothing was appended. */
export class ConfChangeRejectedError extends RaftError {
  readonly code = 'CONF_CHANGE_REJECTED';
  constructor(message: string) {
    super(`configuration change rejected: ${message}`);
    this.name = 'ConfChangeRejectedError';
  }
}

/** A leadership transfer that cannot be started (unknown target, a learner, this node itself). */
export class TransferRejectedError extends RaftError {
  readonly code = 'TRANSFER_REJECTED';
  constructor(message: string) {
    super(`leadership transfer rejected: ${message}`);
    this.name = 'TransferRejectedError';
  }
}

/** Storage: the requested index was compacted into a snapshot. */
export class CompactedError extends RaftError {
  readonly code = 'LOG_COMPACTED';
  constructor(
    readonly index: number,
    readonly firstIndex: number,
  ) {
    super(`log index ${index} was compacted; the log now starts at ${firstIndex}`);
    this.name = 'CompactedError';
  }
}

/** Storage: the requested index is beyond the end of the log. */
export class UnavailableError extends RaftError {
  readonly code = 'LOG_UNAVAILABLE';
  constructor(
    readonly index: number,
    readonly lastIndex: number,
  ) {
    super(`log index ${index} is beyond the last index ${lastIndex}`);
    this.name = 'UnavailableError';
  }
}

/** Storage: a snapshot older than the one already held was offered. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = 'SNAPSHOT_OUT_OF_DATE';
  constructor(
    readonly offered: number,
    readonly held: number,
  ) {
    super(`snapshot at index ${offered} is older than the snapshot already held at index ${held}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/** Configuration given to the core is invalid; the message names the field and the rule. */
export class RaftConfigError extends RaftError {
  readonly code = 'INVALID_RAFT_CONFIG';
  constructor(message: string) {
    super(`invalid raft configuration: ${message}`);
    this.name = 'RaftConfigError';
  }
}

/** The application called the core out of order (for example `ready()` before `advance()`). */
export class RaftUsageError extends RaftError {
  readonly code = 'RAFT_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'RaftUsageError';
  }
}

/** A rule that keeps the cluster's data safe was found broken. The node must stop. */
export class RaftInvariantError extends RaftError {
  readonly code = 'RAFT_INVARIANT';
  constructor(message: string) {
    super(`raft invariant violated: ${message}`);
    this.name = 'RaftInvariantError';
  }
}

/** Fails loudly when an invariant does not hold. The message is built only on failure. */
export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(message());
}
