// Forming a cluster from identical command lines (-bootstrap-expect N with -join). A node with no state
// runs rounds until it has a place in a cluster: first it asks each target whether a running member
// answers there (a formed cluster, or a founder that has just opened); if one does, it leaves to join
// that cluster. Otherwise it tells every target that it is waiting, and collects the same notices from
// the others. Once it has heard from N distinct voters, itself counted, the one whose id is smallest among
// them founds a one-voter cluster; the others find that founder running in a later round and join it.
//
// The decision is made before the node opens, because a node founds a cluster or waits to be added
// from the moment it first writes its state. Joining itself happens after the node opens: the leader
// counts a new voter in its quorum as soon as it appends the change, so the new node must already be
// answering Raft messages for the change to commit.
//
// Time, randomness and the network are passed in, so the rounds can be driven by a test.

/** What a waiting node tells the others: who it is and where it can be reached. */
export interface BootstrapNotice {
  readonly id: string;
  readonly raftAddress: string;
  readonly apiUrl: string;
  readonly voter: boolean;
}

/** How a target answered a probe. */
export type ProbeAnswer =
  /** A running member answers there: a cluster exists (or is being founded) and can be joined. */
  | 'member'
  /** A node that is itself still waiting to form a cluster answers there. */
  | 'waiting'
  /** Nothing useful answered (refused, timed out, failed). */
  | 'silent';

/** The calls a waiting node makes to its targets. */
export interface BootstrapPeers {
  probe(target: string): Promise<ProbeAnswer>;
  /** Resolves once the target recorded the notice (or, a member, accepted and ignored it). */
  notify(target: string, notice: BootstrapNotice): Promise<void>;
}

export interface BootstrapClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Where the rounds ended. */
export type BootstrapDecision =
  /** A running member answered at `via`: open as a new node and join through the targets. */
  | { readonly kind: 'join'; readonly via: string }
  /** This node founds the cluster; `voters` are the ids it heard from, itself included. */
  | { readonly kind: 'found'; readonly voters: readonly string[] };

/** The node neither found a cluster to join nor heard from enough voters to found one in time. */
export class BootstrapTimeoutError extends Error {
  override readonly name = 'BootstrapTimeoutError';
  readonly code = 'BOOTSTRAP_TIMEOUT';

  constructor(
    readonly expected: number,
    readonly heard: readonly string[],
    timeoutMs: number,
  ) {
    super(
      `no cluster was formed within ${timeoutMs} ms (-bootstrap-expect-timeout): heard from ` +
        `${heard.length} of the ${expected} expected voters (node ids: ${heard.join(', ') || 'none'}) ` +
        'and no target answered as a member; check that every node runs with the same -join and ' +
        '-bootstrap-expect and can reach the others',
    );
  }
}

/** A notice that cannot be used; the message says which field is wrong. */
export class BootstrapNoticeError extends Error {
  override readonly name = 'BootstrapNoticeError';
  readonly code = 'BOOTSTRAP_NOTICE';
}

/** Distinct nodes a registry keeps: a bound on what strangers can make a waiting node hold. */
export const noticesMax = 1024;

/** The notices a waiting node has received, one per node id (the latest addresses win). */
export class NoticeRegistry {
  private readonly notices = new Map<string, BootstrapNotice>();

  record(notice: BootstrapNotice): void {
    if (!this.notices.has(notice.id) && this.notices.size >= noticesMax) {
      throw new BootstrapNoticeError(`this node already holds notices from ${noticesMax} nodes`);
    }
    this.notices.set(notice.id, notice);
  }

  /** The ids of the voters heard from, in node-id order. */
  voterIds(): string[] {
    return [...this.notices.values()]
      .filter((notice) => notice.voter)
      .map((notice) => notice.id)
      .sort(compareNodeIds);
  }

  get(id: string): BootstrapNotice | undefined {
    return this.notices.get(id);
  }
}

/** Reads a notice sent over the network. */
export function parseNotice(payload: unknown): BootstrapNotice {
  if (typeof payload !== 'object' || payload === null) throw new BootstrapNoticeError('a notice is a map');
  const { id, raftAddress, apiUrl, voter } = payload as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw new BootstrapNoticeError('a notice needs a node id');
  if (typeof raftAddress !== 'string' || raftAddress === '') {
    throw new BootstrapNoticeError('a notice needs a Raft address');
  }
  if (typeof apiUrl !== 'string') throw new BootstrapNoticeError('a notice needs an API URL');
  if (typeof voter !== 'boolean') throw new BootstrapNoticeError('a notice says whether the node votes');
  return { id, raftAddress, apiUrl, voter };
}

const decimalId = /^(?:0|[1-9][0-9]*)$/;

/**
 * The order in which the founder is chosen, the same on every node: decimal ids by value (so that "2"
 * comes before "10", as an operator expects), before any other id; other ids by their characters.
 */
export function compareNodeIds(a: string, b: string): number {
  const aDecimal = decimalId.test(a);
  const bDecimal = decimalId.test(b);
  if (aDecimal && bDecimal) {
    const difference = BigInt(a) - BigInt(b);
    return difference < 0n ? -1 : difference > 0n ? 1 : 0;
  }
  if (aDecimal !== bDecimal) return aDecimal ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface BootstrapOptions {
  /** This node, as it tells the others. It must be a voter: read replicas cannot found a cluster. */
  readonly self: BootstrapNotice;
  /** The -join targets: Raft addresses, this node's own among them or not. */
  readonly targets: readonly string[];
  /** Voters to hear from, this node included, before one of them founds the cluster. */
  readonly expect: number;
  readonly timeoutMs: number;
  /** The mean pause between rounds; each pause is drawn from 0.75 to 1.25 times it. */
  readonly intervalMs: number;
  /** Where this node's own listener records the notices it receives. */
  readonly registry: NoticeRegistry;
  readonly peers: BootstrapPeers;
  readonly clock: BootstrapClock;
  /** A number in [0, 1), for the jitter that keeps nodes started together from calling in lockstep. */
  readonly random: () => number;
  readonly log: (message: string) => void;
}

/** Runs rounds until this node should join a running cluster or found one; throws on timeout. */
export async function decideBootstrap(options: BootstrapOptions): Promise<BootstrapDecision> {
  const { self, targets, expect, registry, peers, clock } = options;
  if (!self.voter) throw new RangeError('a read replica cannot take part in forming a cluster');
  if (!Number.isSafeInteger(expect) || expect < 1) {
    throw new RangeError(`the number of voters to expect must be a positive integer, got ${expect}`);
  }
  if (targets.length === 0) throw new RangeError('forming a cluster needs at least one target');
  if (!(options.timeoutMs > 0) || !(options.intervalMs > 0)) {
    throw new RangeError('the timeout and the interval must be positive');
  }
  const deadline = clock.now() + options.timeoutMs;
  // The deadline ends the rounds; this bound only catches a clock that does not move.
  const roundsMax = Math.ceil(options.timeoutMs / (0.75 * options.intervalMs)) + 2;
  registry.record(self);
  let reported = 0;
  for (let round = 1; round <= roundsMax; round++) {
    // Join first: a cluster that already runs (a restart, a later node) is joined, never founded again.
    const answers = await Promise.all(
      targets.map((target) => peers.probe(target).catch((): ProbeAnswer => 'silent')),
    );
    const memberAt = targets.find((_, index) => answers[index] === 'member');
    if (memberAt !== undefined) return { kind: 'join', via: memberAt };

    await Promise.all(targets.map((target) => peers.notify(target, self).catch(() => undefined)));
    const voters = registry.voterIds();
    if (voters.length > reported) {
      reported = voters.length;
      options.log(
        `heard from ${voters.length} of ${expect} expected voters (node ids: ${voters.join(', ')})`,
      );
    }
    // Every node orders the same ids the same way, so exactly one of the N founds the cluster.
    if (voters.length >= expect && voters[0] === self.id) return { kind: 'found', voters };

    const remainingMs = deadline - clock.now();
    if (remainingMs <= 0) throw new BootstrapTimeoutError(expect, voters, options.timeoutMs);
    const pauseMs = options.intervalMs * (0.75 + 0.5 * options.random());
    await clock.sleep(Math.max(1, Math.min(pauseMs, remainingMs)));
  }
  throw new Error(`the clock did not reach the deadline after ${roundsMax} rounds`);
}
