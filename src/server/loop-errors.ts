// The consensus loop's failures as the HTTP layer's StoreErrors, in one place: the data store, the backup
// store and the membership endpoints all report them the same way.
import {
  type LeaderHint,
  LeaderNotFoundError,
  NotLeaderError,
  ShuttingDownError,
  StoreError,
  StoreTimeoutError,
} from '../http/store.js';
import {
  LeadershipLostError,
  LoopStoppedError,
  LoopTimeoutError,
  NotLeaderError as LoopNotLeaderError,
  ProposalRefusedError,
} from './raft-loop.js';

/** `error` as the client should read it; errors that are not the loop's pass through unchanged. */
export function storeErrorOf(error: unknown, leaderHint: (leaderId: string) => LeaderHint): Error {
  if (error instanceof StoreError) return error;
  if (error instanceof LoopNotLeaderError) {
    if (error.leaderId === '') return new LeaderNotFoundError();
    return new NotLeaderError(leaderHint(error.leaderId));
  }
  if (error instanceof LoopTimeoutError) return new StoreTimeoutError(error.message);
  if (error instanceof LeadershipLostError || error instanceof ProposalRefusedError) {
    return new StoreError('failed', error.message, { cause: error });
  }
  if (error instanceof LoopStoppedError) return new ShuttingDownError();
  return error instanceof Error ? error : new Error(String(error));
}

/** Throws NotLeaderError (or LeaderNotFoundError) unless this node leads, for leader-only work. */
export function requireLeaderRole(
  soft: { readonly role: string; readonly leaderId: string },
  leaderHint: (leaderId: string) => LeaderHint,
): void {
  if (soft.role !== 'leader') throw storeErrorOf(new LoopNotLeaderError(soft.leaderId), leaderHint);
}
