// How a leader handles each message in its current term.

import { RaftInvariantError } from './errors.js';
import type { AppendResponse, MessageHandlers } from './messages.js';
import type { Raft } from './raft.js';

function anotherLeader(raft: Raft, from: string): never {
  // Election safety (§5.2) makes this impossible: at most one leader per term.
  throw new RaftInvariantError(
    `leader ${raft.id} of term ${raft.term} heard from another leader ${from} of that term`,
  );
}

function handleAppendResponse(raft: Raft, message: AppendResponse): void {
  const progress = raft.progress.get(message.from);
  if (progress === undefined) return;
  progress.recentActive = true;
  if (message.reject) {
    // Fast backtracking: skip every index at which our term is above the follower's hint term, since
    // a probe there must fail too (the follower's terms only grow along its log).
    let nextProbe = message.rejectHintIndex;
    if (message.rejectHintTerm > 0) {
      nextProbe = raft.log.findConflictByTerm(message.rejectHintIndex, message.rejectHintTerm).index;
    }
    if (progress.maybeDecreaseTo(message.index, nextProbe)) {
      if (progress.state === 'replicate') progress.becomeProbe();
      raft.sendAppend(message.from);
    }
    return;
  }
  const updated = progress.maybeUpdate(message.index);
  if (!updated && !(progress.match === message.index && progress.state === 'probe')) return;
  switch (progress.state) {
    case 'probe':
      progress.becomeReplicate();
      break;
    case 'snapshot':
      // The follower can now be caught up from the log, whatever snapshot it actually installed.
      if (progress.match + 1 >= raft.log.firstIndex()) {
        progress.becomeProbe();
        progress.becomeReplicate();
      }
      break;
    case 'replicate':
      progress.inflights.freeUpTo(message.index);
      break;
  }
  if (raft.maybeCommit()) raft.onCommitAdvanced();
  // The follower may not know the commit index yet (it answered after the last broadcast): tell it now
  // rather than at the next heartbeat.
  else if (progress.canBumpCommit(raft.log.committed)) raft.sendAppend(message.from);
  // The window may have room for several messages now (after probing, or a large acknowledgement).
  while (raft.role === 'leader' && raft.maybeSendAppend(message.from, false)) {
    // each iteration sends one message
  }
  if (
    raft.role === 'leader' &&
    message.from === raft.leadTransferee &&
    progress.match === raft.log.lastIndex()
  ) {
    raft.sendTimeoutNow(message.from);
  }
}

export const leaderHandlers: MessageHandlers<Raft> = {
  append: (raft, message) => anotherLeader(raft, message.from),
  heartbeat: (raft, message) => anotherLeader(raft, message.from),
  installSnapshot: (raft, message) => anotherLeader(raft, message.from),
  appendResponse: handleAppendResponse,
  heartbeatResponse: (raft, message) => {
    const progress = raft.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.paused = false;
    // A heartbeat answer also restarts a stalled probe and tells us the follower is reachable again.
    if (progress.match < raft.log.lastIndex() || progress.state === 'probe') raft.sendAppend(message.from);
    raft.acknowledgeRound(message.from, message.round);
  },
  vote: (raft, message) => raft.handleVoteRequest(message),
  preVote: (raft, message) => raft.handleVoteRequest(message),
  // Answers to elections this node already won, and a TimeoutNow only a leader of our term could send.
  voteResponse: () => {},
  preVoteResponse: () => {},
  timeoutNow: () => {},
};
