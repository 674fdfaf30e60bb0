// Reaping, as rqlite's -raft-reap-node-timeout and -raft-reap-read-only-node-timeout: the leader removes
// a member it has not heard from for the given time, so that nodes that went away for good (a replaced
// Kubernetes pod, a read replica scaled down) do not stay in the configuration, counting against the
// quorum or being retried forever. Only the leader reaps, and only members it could have heard from: the
// clock of a member starts at the latest of its last message, this node becoming leader, and the member
// appearing in the configuration.
import type { Logger } from './logger.js';

/** What the reaper needs of a node. */
export interface ReapableNode {
  readonly selfId: string;
  isLeader(): boolean;
  membersNow(): { readonly voters: readonly string[]; readonly nonVoters: readonly string[] };
  /** When a Raft message last came from `id`, in `nowMs()` milliseconds. */
  lastHeardFromMs(id: string): number | undefined;
  removeMember(id: string): Promise<void>;
}

export interface ReaperOptions {
  /** 0: voters are never reaped. */
  readonly voterAfterMs: number;
  /** 0: read replicas are never reaped. */
  readonly nonVoterAfterMs: number;
  readonly logger: Logger;
  readonly nowMs?: () => number;
}

export class Reaper {
  private leaderSinceMs: number | undefined;
  private readonly firstSeenMs = new Map<string, number>();
  private readonly removing = new Set<string>();
  private readonly nowMs: () => number;

  constructor(
    private readonly node: ReapableNode,
    private readonly options: ReaperOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** How often check() should run: often enough to reap within a quarter of the shorter timeout. */
  get checkIntervalMs(): number {
    const timeouts = [this.options.voterAfterMs, this.options.nonVoterAfterMs].filter((ms) => ms > 0);
    if (timeouts.length === 0) return 0;
    return Math.min(1000, Math.max(50, Math.floor(Math.min(...timeouts) / 4)));
  }

  /** Removes every member past its timeout; returns the ids it started removing. */
  check(): string[] {
    const now = this.nowMs();
    if (!this.node.isLeader()) {
      this.leaderSinceMs = undefined;
      this.firstSeenMs.clear();
      return [];
    }
    this.leaderSinceMs ??= now;
    const { voters, nonVoters } = this.node.membersNow();
    const members = [
      ...voters.map((id) => ({ id, afterMs: this.options.voterAfterMs, flag: 'raft-reap-node-timeout' })),
      ...nonVoters.map((id) => ({
        id,
        afterMs: this.options.nonVoterAfterMs,
        flag: 'raft-reap-read-only-node-timeout',
      })),
    ];
    for (const id of this.firstSeenMs.keys()) {
      if (!voters.includes(id) && !nonVoters.includes(id)) this.firstSeenMs.delete(id);
    }
    const reaped: string[] = [];
    for (const { id, afterMs, flag } of members) {
      if (id === this.node.selfId) continue;
      if (!this.firstSeenMs.has(id)) this.firstSeenMs.set(id, now);
      if (afterMs === 0 || this.removing.has(id)) continue;
      const since = Math.max(
        this.node.lastHeardFromMs(id) ?? 0,
        this.leaderSinceMs,
        this.firstSeenMs.get(id)!,
      );
      const silentMs = now - since;
      if (silentMs < afterMs) continue;
      reaped.push(id);
      this.remove(id, `not heard from for ${silentMs} ms (-${flag} ${afterMs} ms)`);
    }
    return reaped;
  }

  private remove(id: string, reason: string): void {
    this.removing.add(id);
    this.options.logger.info(`reaping node ${id}: ${reason}`);
    this.node
      .removeMember(id)
      .then(() => this.options.logger.info(`reaped node ${id}`))
      .catch((error: unknown) =>
        this.options.logger.warn(
          `reaping node ${id} failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      )
      .finally(() => this.removing.delete(id));
  }
}
