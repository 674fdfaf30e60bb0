// How a follower handles each message in its current term (terms were reconciled in Raft.step).

import type { MessageHandlers } from './messages.js';
import type { Raft } from './raft.js';

function followLeader(raft: Raft, leaderId: string): void {
  // Hearing from the leader of our term resets the election timer (§5.2).
  raft.electionElapsed = 0;
  raft.leaderId = leaderId;
}

export const followerHandlers: MessageHandlers<Raft> = {
  append: (raft, message) => {
    followLeader(raft, message.from);
    raft.handleAppend(message);
  },
  heartbeat: (raft, message) => {
    followLeader(raft, message.from);
    raft.handleHeartbeat(message);
  },
  installSnapshot: (raft, message) => {
    followLeader(raft, message.from);
    raft.handleInstallSnapshot(message);
  },
  timeoutNow: (raft) => {
    // Dissertation §3.10: the leader asks us to campaign at once. Skips pre-voting and leases, since the
    // leader itself is handing over.
    raft.startElection(true);
  },
  vote: (raft, message) => raft.handleVoteRequest(message),
  preVote: (raft, message) => raft.handleVoteRequest(message),
  // Answers to requests a follower no longer has outstanding: stale, ignore.
  appendResponse: () => {},
  heartbeatResponse: () => {},
  voteResponse: () => {},
  preVoteResponse: () => {},
};
