// The messages nodes exchange. Each is readonly data with a `type` tag; the core dispatches on the tag
// through exhaustive tables (see step-*.ts), so adding a kind without a handler for every role does not
// compile. The transport encodes them as it likes; the core never sees bytes.

import type { Entry, NodeId, SnapshotMetadata } from './types.js';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term (for pre-votes: the term the sender would campaign in). */
  readonly term: number;
}

/** AppendEntries (§5.3): entries after (prevIndex, prevTerm), plus the leader's commit index. */
export interface AppendRequest extends Envelope {
  readonly type: 'append';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * The answer to an append or to a snapshot installation. On success `index` is the last index now known
 * to match the leader. On rejection `index` is the rejected `prevIndex`, and the hint is the follower's
 * best guess of where the logs last agree: the largest index at or below `prevIndex` whose term is at
 * most the rejected `prevTerm`, so that the leader skips a divergent tail one term at a time rather than
 * one entry at a time.
 */
export interface AppendResponse extends Envelope {
  readonly type: 'appendResponse';
  readonly reject: boolean;
  readonly index: number;
  readonly rejectHintIndex: number;
  readonly rejectHintTerm: number;
}

/**
 * A heartbeat. `commit` never exceeds what the follower is known to hold. `round` numbers the leader's
 * heartbeat broadcasts within its term; echoed back, it proves that the follower still accepted this
 * leader after the round was sent, which confirms reads (ReadIndex) and extends the read lease.
 */
export interface HeartbeatRequest extends Envelope {
  readonly type: 'heartbeat';
  readonly commit: number;
  readonly round: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeatResponse';
  readonly round: number;
}

/** RequestVote (§5.2). `transfer` marks a campaign started by TimeoutNow, which bypasses leader leases. */
export interface VoteRequest extends Envelope {
  readonly type: 'vote';
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'voteResponse';
  readonly reject: boolean;
}

/** PreVote (dissertation §9.6): would you vote for me in `term`? Changes no state on either side. */
export interface PreVoteRequest extends Envelope {
  readonly type: 'preVote';
  readonly lastIndex: number;
  readonly lastTerm: number;
}

export interface PreVoteResponse extends Envelope {
  readonly type: 'preVoteResponse';
  readonly reject: boolean;
}

/**
 * InstallSnapshot (§7), metadata only. When the leader emits one, the application streams the data of
 * its stored snapshot at `snapshot.index` to the peer, delivers this message to the peer's `step()` only
 * once the data is stored there, and reports the outcome with `reportSnapshot(to, ...)` on the leader.
 */
export interface InstallSnapshotRequest extends Envelope {
  readonly type: 'installSnapshot';
  readonly snapshot: SnapshotMetadata;
}

/** Leadership transfer (dissertation §3.10): start an election now, without waiting for a timeout. */
export interface TimeoutNowRequest extends Envelope {
  readonly type: 'timeoutNow';
}

export type Message =
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | VoteRequest
  | VoteResponse
  | PreVoteRequest
  | PreVoteResponse
  | InstallSnapshotRequest
  | TimeoutNowRequest;

export type MessageType = Message['type'];

export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** A handler for every message type; used by each role's step table. */
export type MessageHandlers<Context> = {
  readonly [T in MessageType]: (context: Context, message: MessageOf<T>) => void;
};

/** Calls the handler for `message.type`. The table's type guarantees that one exists. */
export function dispatch<Context>(
  handlers: MessageHandlers<Context>,
  context: Context,
  message: Message,
): void {
  // TypeScript cannot correlate the union member with its handler; the mapped type above guarantees it.
  const handler = handlers[message.type] as (context: Context, message: Message) => void;
  handler(context, message);
}

/** One line naming a message, for traces and golden files. */
export function describeMessage(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type} term=${message.term}`;
  switch (message.type) {
    case 'append': {
      const entries = message.entries.map((entry) => `${entry.index}/${entry.term}`).join(',');
      return `${head} prev=${message.prevIndex}/${message.prevTerm} commit=${message.commit} entries=[${entries}]`;
    }
    case 'appendResponse':
      return message.reject
        ? `${head} reject index=${message.index} hint=${message.rejectHintIndex}/${message.rejectHintTerm}`
        : `${head} index=${message.index}`;
    case 'heartbeat':
      return `${head} commit=${message.commit} round=${message.round}`;
    case 'heartbeatResponse':
      return `${head} round=${message.round}`;
    case 'vote':
      return `${head} last=${message.lastIndex}/${message.lastTerm}${message.transfer ? ' transfer' : ''}`;
    case 'preVote':
      return `${head} last=${message.lastIndex}/${message.lastTerm}`;
    case 'voteResponse':
    case 'preVoteResponse':
      return `${head} ${message.reject ? 'reject' : 'grant'}`;
    case 'installSnapshot':
      return `${head} snapshot=${message.snapshot.index}/${message.snapshot.term}`;
    case 'timeoutNow':
      return head;
  }
}
