// Deliberately broken versions of the core, each breaking one rule the paper proves necessary. The
// simulator must report a violation for each within a bounded number of seeds; if it did not, its
// checkers or its fault model would be too weak to trust a clean run.

import type { Delivery, Message, PreVoteRequest, RaftFactory, VoteRequest } from '../../src/raft/index.js';
import { Raft } from '../../src/raft/index.js';

/** Grants a vote to any up-to-date candidate, even after voting for another in the same term (breaks §5.2). */
class DoubleVotingRaft extends Raft {
  override mayGrantVote(request: VoteRequest | PreVoteRequest): boolean {
    return this.log.isUpToDate(request.lastIndex, request.lastTerm);
  }
}

/** Commits any entry a quorum holds, whatever its term (breaks §5.4.2, the Figure 8 scenario). */
class OldTermCommittingRaft extends Raft {
  override mayCommitByCounting(): boolean {
    return true;
  }
}

/** Acknowledges appended entries before they are durable (breaks the persistence rule of §5.3 / Figure 2). */
class EagerAcknowledgingRaft extends Raft {
  override deliveryOf(message: Message): Delivery {
    return message.type === 'appendResponse' ? 'immediate' : super.deliveryOf(message);
  }
}

export const brokenVariants = {
  doubleVote: (config, storage) => new DoubleVotingRaft(config, storage),
  oldTermCommit: (config, storage) => new OldTermCommittingRaft(config, storage),
  ackBeforePersist: (config, storage) => new EagerAcknowledgingRaft(config, storage),
} satisfies Record<string, RaftFactory>;

export type BrokenVariantName = keyof typeof brokenVariants;
