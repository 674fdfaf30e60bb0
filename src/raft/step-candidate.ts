// How a candidate or pre-candidate handles each message in its current term.

import type { MessageHandlers } from './messages.js';
import type { Raft } from './raft.js';

export const candidateHandlers: MessageHandlers<Raft> = {
  // §5.2: an append, heartbeat or snapshot from a leader of our term means the election is lost.
  append: (raft, message) => {
    raft.becomeFollower(message.term, message.from);
    raft.handleAppend(message);
  },
  heartbeat: (raft, message) => {
    raft.becomeFollower(message.term, message.from);
    raft.handleHeartbeat(message);
  },
  installSnapshot: (raft, message) => {
    raft.becomeFollower(message.term, message.from);
    raft.handleInstallSnapshot(message);
  },
  voteResponse: (raft, message) => {
    // A pre-candidate may still receive answers to an earlier real campaign: not ours now.
    if (raft.role !== 'candidate') return;
    const result = raft.poll(message.from, !message.reject);
    if (result === 'won') {
      raft.becomeLeader();
      raft.broadcastAppend();
    } else if (result === 'lost') {
      raft.becomeFollower(raft.term, '');
    }
  },
  preVoteResponse: (raft, message) => {
    // A candidate may still receive answers from its pre-vote phase: they no longer matter.
    if (raft.role !== 'preCandidate') return;
    const result = raft.poll(message.from, !message.reject);
    if (result === 'won') raft.campaignElection(false);
    else if (result === 'lost') raft.becomeFollower(raft.term, '');
  },
  vote: (raft, message) => raft.handleVoteRequest(message),
  preVote: (raft, message) => raft.handleVoteRequest(message),
  timeoutNow: () => {},
  appendResponse: () => {},
  heartbeatResponse: () => {},
};
