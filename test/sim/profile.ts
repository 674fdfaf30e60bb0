// Each seed draws its own fault profile: how big the cluster is, how hostile its network and disks
// are, how often nodes crash, how often membership changes. Varying the profile per seed lets a run of
// many seeds cover quiet clusters and violent ones alike.

import { requiredLeaseMarginTicks, type SeededRandom } from '../../src/raft/index.js';

/** Simulated time units per tick at the nominal clock rate. */
export const unitsPerTick = 20;

export interface FaultProfile {
  readonly nodeCount: number;
  readonly initialVoters: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly leaseMarginTicks: number;
  /** Per node: time units between ticks (nominal 20; ±1 is a ±5 % clock drift). */
  readonly tickPeriods: readonly number[];
  readonly messageLoss: number;
  readonly duplication: number;
  readonly delayMinUnits: number;
  readonly delayMaxUnits: number;
  /** Chance that a message is held back long enough to overtake later ones. */
  readonly reorder: number;
  /** Faults are drawn every this many ticks during the chaos phase. */
  readonly faultIntervalTicks: number;
  readonly partitionChance: number;
  readonly crashChance: number;
  readonly restartDelayTicksMax: number;
  /** Chance that a crash during a disk write keeps a prefix of it. */
  readonly tornWrite: number;
  /** Per node: disk write latency in time units. */
  readonly diskLatencies: readonly number[];
  readonly membershipChance: number;
  /** Chance that a new leader crashes or is isolated right after its election or its first commit. */
  readonly newLeaderFault: number;
  readonly transferChance: number;
  /** Removed nodes are shut down (as an operator would) rather than left running. */
  readonly stopRemovedNodes: boolean;
  readonly snapshotIntervalEntries: number;
  readonly compactionLagEntries: number;
  readonly messageBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly clients: number;
  readonly keys: number;
  /** Chance that a get is served through the log; otherwise by ReadIndex, or by lease when allowed. */
  readonly readThroughLog: number;
  readonly leaseReads: number;
  readonly chaosTicks: number;
}

/** Draws a profile. Overrides let tests force a property (for example many crashes) while keeping the rest random. */
export function drawProfile(random: SeededRandom, overrides: Partial<FaultProfile> = {}): FaultProfile {
  const nodeCount = overrides.nodeCount ?? random.between(3, 7);
  const initialVoters = Math.min(
    nodeCount,
    overrides.initialVoters ?? random.pick([1, 3, 3, 3, 3, 5, 5, 2, 4]),
  );
  const electionTimeoutTicks = random.between(8, 14);
  const heartbeatIntervalTicks = random.between(1, Math.max(1, Math.floor(electionTimeoutTicks / 4)));
  const driftUnits = random.pick([0, 0, 1]);
  const tickPeriods = Array.from(
    { length: nodeCount },
    () => unitsPerTick + random.between(-driftUnits, driftUnits),
  );
  const quietNetwork = random.chance(0.2);
  const slowDisks = random.chance(0.3);
  const diskLatencies = Array.from({ length: nodeCount }, () =>
    slowDisks && random.chance(0.5) ? random.between(20, 240) : random.between(0, 12),
  );
  const delayMinUnits = random.between(1, 6);
  const profile: FaultProfile = {
    nodeCount,
    initialVoters,
    electionTimeoutTicks,
    heartbeatIntervalTicks,
    preVote: random.chance(0.85),
    checkQuorum: random.chance(0.8),
    // The margin that the drift between the fastest and the slowest clock requires (DESIGN.md).
    leaseMarginTicks: requiredLeaseMarginTicks(
      electionTimeoutTicks,
      Math.max(...tickPeriods) / Math.min(...tickPeriods),
    ),
    tickPeriods,
    messageLoss: quietNetwork ? 0 : random.pick([0, 0.01, 0.05, 0.1, 0.2]),
    duplication: quietNetwork ? 0 : random.pick([0, 0, 0.02, 0.05]),
    delayMinUnits,
    delayMaxUnits: delayMinUnits + random.pick([4, 10, 30, 80]),
    reorder: quietNetwork ? 0 : random.pick([0, 0.02, 0.1]),
    faultIntervalTicks: random.between(10, 40),
    partitionChance: random.pick([0, 0.2, 0.4, 0.6]),
    crashChance: random.pick([0, 0.1, 0.25, 0.4]),
    restartDelayTicksMax: random.pick([5, 30, 120]),
    tornWrite: random.pick([0, 0.5, 1]),
    diskLatencies,
    membershipChance: random.pick([0, 0.15, 0.3, 0.5]),
    newLeaderFault: random.pick([0, 0, 0.1, 0.3]),
    transferChance: random.pick([0, 0.1, 0.3]),
    stopRemovedNodes: random.chance(0.5),
    snapshotIntervalEntries: random.pick([4, 10, 25, 60, 1000]),
    compactionLagEntries: random.pick([0, 2, 10]),
    messageBytesMax: random.pick([1, 64, 1024 * 1024]),
    inflightMessagesMax: random.pick([1, 4, 64]),
    clients: random.between(1, 4),
    keys: random.between(1, 3),
    readThroughLog: random.pick([0.2, 0.5]),
    leaseReads: random.pick([0, 0.5]),
    chaosTicks: random.between(250, 600),
  };
  return { ...profile, ...overrides };
}

export function describeProfile(profile: FaultProfile): string {
  return [
    `nodes=${profile.nodeCount} voters=${profile.initialVoters}`,
    `election=${profile.electionTimeoutTicks} heartbeat=${profile.heartbeatIntervalTicks}`,
    `preVote=${profile.preVote} checkQuorum=${profile.checkQuorum}`,
    `ticks=[${profile.tickPeriods.join(',')}]`,
    `loss=${profile.messageLoss} dup=${profile.duplication} delay=${profile.delayMinUnits}..${profile.delayMaxUnits}`,
    `reorder=${profile.reorder} faultEvery=${profile.faultIntervalTicks}`,
    `partition=${profile.partitionChance} crash=${profile.crashChance} torn=${profile.tornWrite}`,
    `disks=[${profile.diskLatencies.join(',')}]`,
    `membership=${profile.membershipChance} transfer=${profile.transferChance} stopRemoved=${profile.stopRemovedNodes}`,
    `newLeaderFault=${profile.newLeaderFault}`,
    `snapshotEvery=${profile.snapshotIntervalEntries} lag=${profile.compactionLagEntries}`,
    `messageBytes=${profile.messageBytesMax} inflight=${profile.inflightMessagesMax}`,
    `clients=${profile.clients} keys=${profile.keys} chaos=${profile.chaosTicks}`,
  ].join(' ');
}
