// Samples how far followers' applied index trails the leader's commit index, from each node's /status.
// The two readings of one sample are taken together but not atomically, so a lag of a few entries is
// measurement noise on a busy cluster; the figure of interest is how far behind a follower can fall.
import type { Cluster, NodeStatus } from './cluster-harness.js';
import { sleep } from './polling.js';

export class ReplicationLagSampler {
  private readonly lags: number[] = [];
  private stopping = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly intervalMs: number,
  ) {}

  start(): this {
    this.running = this.loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** The largest lag seen, in entries, and the median over all follower samples. */
  summary(): { readonly samples: number; readonly maxEntries: number; readonly medianEntries: number } {
    const sorted = [...this.lags].sort((a, b) => a - b);
    return {
      samples: sorted.length,
      maxEntries: sorted.at(-1) ?? 0,
      medianEntries: sorted[Math.floor(sorted.length / 2)] ?? 0,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const statuses = [...(await this.cluster.statuses(this.cluster.serving())).values()].filter(
        (status): status is NodeStatus => status !== undefined,
      );
      let leader: NodeStatus | undefined;
      for (const status of statuses) {
        if (status.state === 'Leader' && (leader === undefined || status.term > leader.term)) leader = status;
      }
      if (leader !== undefined) {
        for (const status of statuses) {
          if (status !== leader) this.lags.push(Math.max(0, leader.commitIndex - status.appliedIndex));
        }
      }
      await sleep(this.intervalMs);
    }
  }
}
