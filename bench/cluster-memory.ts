// Resident memory of every cluster member while the loads run. A reading after each load would miss what
// a node holds in the middle of one (a batch being applied, replies queued for 64 clients), so a timer
// samples VmRSS of every member a few times a second and keeps the highest, over all the loads and for
// each load apart; the kernel's own high-water mark (VmHWM) is read at the end as well, which also covers
// the filling before the loads.
import type { BenchCluster, ClusterMember } from './cluster-members.js';

const sampleIntervalMs = 250;

export interface MemberMemory {
  readonly system: string;
  readonly role: string;
  /** The highest VmRSS sampled while the sampler ran, in kilobytes; undefined if never read. */
  readonly sampledMaxKilobytes: number | undefined;
  /** The highest VmRSS sampled during each load, in kilobytes, in the order of the loads. */
  readonly highestPerLoadKilobytes: readonly number[];
  /** VmHWM when the loads were over, in kilobytes. */
  readonly peakKilobytes: number | undefined;
}

interface Watched {
  readonly cluster: BenchCluster;
  readonly member: ClusterMember;
  sampledMaxKilobytes: number | undefined;
  /** The highest VmRSS sampled since the last load ended. */
  currentLoadMaxKilobytes: number;
  readonly highestPerLoadKilobytes: number[];
}

export class MemorySampler {
  private readonly watched: Watched[];
  private timer: NodeJS.Timeout | undefined;

  constructor(clusters: readonly BenchCluster[]) {
    this.watched = clusters.flatMap((cluster) =>
      cluster.members.map((member) => ({
        cluster,
        member,
        sampledMaxKilobytes: undefined,
        currentLoadMaxKilobytes: 0,
        highestPerLoadKilobytes: [],
      })),
    );
  }

  start(): void {
    if (this.timer !== undefined) throw new Error('the memory sampler is already running');
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleIntervalMs);
    // The sampler must never be what keeps the benchmark's process alive.
    this.timer.unref();
  }

  /** Closes one load: what was sampled since the previous one is that load's highest. */
  markLoadEnd(): void {
    this.sample();
    for (const entry of this.watched) {
      entry.highestPerLoadKilobytes.push(entry.currentLoadMaxKilobytes);
      entry.currentLoadMaxKilobytes = 0;
    }
  }

  /** Stops sampling and returns what each member used, with its high-water mark as it stands now. */
  stop(): MemberMemory[] {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.watched.map((entry) => ({
      system: entry.cluster.system,
      role: entry.cluster.roleOf(entry.member),
      sampledMaxKilobytes: entry.sampledMaxKilobytes,
      highestPerLoadKilobytes: entry.highestPerLoadKilobytes,
      peakKilobytes: entry.member.server.memory()?.peakRssKilobytes,
    }));
  }

  private sample(): void {
    for (const entry of this.watched) {
      const rss = entry.member.server.memory()?.rssKilobytes;
      if (rss === undefined) continue;
      entry.sampledMaxKilobytes = Math.max(entry.sampledMaxKilobytes ?? 0, rss);
      entry.currentLoadMaxKilobytes = Math.max(entry.currentLoadMaxKilobytes, rss);
    }
  }
}
