// The deterministic cluster simulator. One seed decides everything: the fault profile, every message's
// fate and delay, every crash, partition, membership change and client operation. A run has three
// phases:
//
// 1. chaos: clients run operations while faults are injected;
// 2. healing: faults stop, crashed members restart, the network becomes reliable; a probe client must
//    get a write committed within a bounded number of ticks (liveness);
// 3. convergence: every member must apply the same log up to the highest index ever applied.
//
// The checkers (checkers.ts) watch the whole run; at the end the client history must be linearizable.

import {
  decodeConfChangeEntry,
  RaftError,
  SeededRandom,
  describeMessage,
  describeConfChange,
  type ConfState,
  type Entry,
  type InstallSnapshotRequest,
  type Message,
  type NodeId,
  type RaftFactory,
} from '../../src/raft/index.js';
import {
  checkLinearizability,
  keyValueModel,
  type KeyValueInput,
  type KeyValueOutput,
  type Operation,
} from '../lib/linearizability.js';
import { SafetyCheckers, type Violation } from './checkers.js';
import { EventQueue } from './event-queue.js';
import { describeProfile, drawProfile, unitsPerTick, type FaultProfile } from './profile.js';
import { Network, type NetworkHost } from './network.js';
import { Operator } from './operator.js';
import { SimNode, type NodeHost } from './sim-node.js';
import { Trace } from './trace.js';
import { Workload, type WorkloadHost, type WorkloadStats } from './workload.js';

export interface SimulationOptions {
  readonly seed: number;
  readonly trace?: boolean;
  /** Builds every node's state machine; the broken-variant tests pass a faulty one here. */
  readonly raftFactory?: RaftFactory;
  /** Forces parts of the fault profile; the rest is still drawn from the seed. */
  readonly profile?: Partial<FaultProfile>;
  /** Search steps for the linearizability check. */
  readonly linearizabilityStepBudget?: number;
}

export interface SimulationStats {
  ticks: number;
  events: number;
  messages: number;
  leaders: number;
  crashes: number;
  partitions: number;
  snapshotsSent: number;
  configurationChanges: number;
  transfers: number;
  readsByQuorum: number;
  readsByLease: number;
  workload: WorkloadStats;
  linearizability: 'linearizable' | 'violation' | 'unknown' | 'skipped';
  /** Ticks from healing to the first committed probe write. */
  livenessTicks: number | undefined;
}

export interface SimulationResult {
  readonly seed: number;
  readonly profile: FaultProfile;
  readonly violations: readonly Violation[];
  readonly stats: SimulationStats;
  readonly trace: readonly string[];
  /** The client history that was checked for linearizability. */
  readonly history: readonly Operation<KeyValueInput, KeyValueOutput>[];
}

type SimEvent =
  | { readonly kind: 'tick'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'deliver'; readonly message: Message }
  | { readonly kind: 'disk'; readonly node: SimNode; readonly incarnation: number }
  | {
      readonly kind: 'snapshot';
      readonly message: InstallSnapshotRequest;
      readonly data: string;
      readonly senderIncarnation: number;
    }
  | { readonly kind: 'client'; readonly client: number }
  | { readonly kind: 'timeout'; readonly operation: number }
  | { readonly kind: 'fault' }
  | { readonly kind: 'restart'; readonly node: SimNode }
  | { readonly kind: 'crash'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'isolate'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'endPartition'; readonly partition: number }
  | { readonly kind: 'heal' }
  | { readonly kind: 'check' };

/** Liveness bounds, in election timeouts. */
const livenessTimeouts = 30;
const convergenceTimeouts = 30;

export function simulate(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation implements NodeHost, WorkloadHost, NetworkHost {
  readonly profile: FaultProfile;
  readonly trace: Trace;
  readonly checkers = new SafetyCheckers();
  readonly raftFactory: RaftFactory | undefined;
  private readonly random: SeededRandom;
  private readonly network: Network;
  /** The incarnation of the node that offered each snapshot in flight. */
  private readonly snapshotSenders = new Map<InstallSnapshotRequest, number>();
  private readonly faultRandom: SeededRandom;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly simNodes: SimNode[] = [];
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly workload: Workload;
  private time = 0;
  private chaos = true;
  private healedAt = 0;
  private convergenceDeadline = Number.POSITIVE_INFINITY;
  private livenessDeadline = Number.POSITIVE_INFINITY;
  private readonly operator: Operator;
  /** Per term: the leader's commit index when elected, until it first advances. */
  private readonly commitAtElection = new Map<number, number>();
  private finished = false;
  private aborted = false;
  /** Members by the latest configuration entry applied anywhere, and that entry's index. */
  private committedConfiguration: ConfState;
  private committedConfigurationIndex = 0;
  private readonly stats: SimulationStats;
  private diskLatencyMaxUnits = Number.POSITIVE_INFINITY;

  constructor(private readonly options: SimulationOptions) {
    this.random = new SeededRandom(options.seed);
    this.profile = drawProfile(this.random.fork(), options.profile);
    this.faultRandom = this.random.fork();
    this.trace = new Trace(options.trace ?? false);
    this.raftFactory = options.raftFactory;
    const ids = Array.from({ length: this.profile.nodeCount }, (_, i) => String(i + 1));
    this.network = new Network(this, this.profile, this.random.fork(), ids);
    const voters = ids.slice(0, this.profile.initialVoters);
    this.committedConfiguration = { voters, learners: [] };
    for (const [slot, id] of ids.entries()) {
      const bootstrap = slot < voters.length ? this.committedConfiguration : { voters: [], learners: [] };
      const node = new SimNode(id, slot, bootstrap, this, this.random.fork());
      this.simNodes.push(node);
      this.byId.set(id, node);
    }
    this.workload = new Workload(this, this.random.fork());
    this.operator = new Operator(this.simNodes, this.faultRandom, this.trace, () => this.time);
    this.stats = {
      ticks: 0,
      events: 0,
      messages: 0,
      leaders: 0,
      crashes: 0,
      partitions: 0,
      snapshotsSent: 0,
      configurationChanges: 0,
      transfers: 0,
      readsByQuorum: 0,
      readsByLease: 0,
      workload: this.workload.stats,
      linearizability: 'skipped',
      livenessTicks: undefined,
    };
  }

  now(): number {
    return this.time;
  }

  nodes(): readonly SimNode[] {
    return this.simNodes;
  }

  private note(who: string, text: string): void {
    if (this.trace.enabled) this.trace.add(this.time, who, text);
  }

  // ---------------------------------------------------------------------------------------------------
  // Scheduling

  scheduleClient(at: number, client: number): void {
    this.queue.push(at, { kind: 'client', client });
  }

  scheduleTimeout(at: number, operation: number): void {
    this.queue.push(at, { kind: 'timeout', operation });
  }

  scheduleDiskDone(node: SimNode, at: number, incarnation: number): void {
    const latency = Math.min(at - this.time, this.diskLatencyMaxUnits);
    this.queue.push(this.time + latency, { kind: 'disk', node, incarnation });
  }

  private scheduleTick(node: SimNode): void {
    const period = this.profile.tickPeriods[node.slot] ?? unitsPerTick;
    this.queue.push(this.time + period, { kind: 'tick', node, incarnation: node.incarnation });
  }

  private startNode(node: SimNode): void {
    node.start();
    // A restarted node's clock starts at a random phase, as a real process's timer would.
    const period = this.profile.tickPeriods[node.slot] ?? unitsPerTick;
    this.queue.push(this.time + this.faultRandom.between(1, period), {
      kind: 'tick',
      node,
      incarnation: node.incarnation,
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Network

  send(from: SimNode, messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.type !== 'installSnapshot') {
        this.network.send(message);
        continue;
      }
      const data = from.snapshots.get(message.snapshot.index);
      if (data === undefined) {
        throw new Error(
          `node ${from.id} offered snapshot ${message.snapshot.index} but holds no data for it`,
        );
      }
      this.snapshotSenders.set(message, from.incarnation);
      this.network.streamSnapshot(message, data);
    }
  }

  deliverAt(at: number, message: Message): void {
    this.queue.push(at, { kind: 'deliver', message });
  }

  snapshotArrivesAt(at: number, message: InstallSnapshotRequest, data: string): void {
    const senderIncarnation = this.snapshotSenders.get(message) ?? 0;
    this.snapshotSenders.delete(message);
    this.queue.push(at, { kind: 'snapshot', message, data, senderIncarnation });
  }

  partitionEndsAt(at: number, partition: number): void {
    this.queue.push(at, { kind: 'endPartition', partition });
  }

  unreachable(from: NodeId, to: NodeId): void {
    this.byId.get(from)?.raw?.reportUnreachable(to);
  }

  private finishSnapshotTransfer(event: Extract<SimEvent, { kind: 'snapshot' }>): void {
    const { message, data } = event;
    const sender = this.byId.get(message.from) as SimNode;
    const receiver = this.byId.get(message.to) as SimNode;
    const delivered = receiver.running && this.network.streamSucceeds(message);
    if (delivered) {
      receiver.stageSnapshot(message.snapshot.index, data);
      this.note(receiver.id, `received ${describeMessage(message)}`);
      receiver.deliver(message);
    }
    if (sender.running && sender.incarnation === event.senderIncarnation) {
      sender.raw?.reportSnapshot(message.to, delivered ? 'finished' : 'failed');
      sender.afterInput();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Node callbacks

  operationDone(operation: number, outcome: Parameters<Workload['done']>[1]): void {
    this.workload.done(operation, outcome);
  }

  readConfirmed(by: 'quorum' | 'lease'): void {
    if (by === 'lease') this.stats.readsByLease++;
    else this.stats.readsByQuorum++;
  }

  observeLeader(node: SimNode, term: number, commit: number): void {
    const raw = node.raw;
    if (raw === undefined) return;
    const elected = this.checkers.leaderOf(term) === undefined;
    this.checkers.observeLeader(this.time, node.id, term, raw);
    // Two moments where a leader's crash tests the most: right after its election (its first entries
    // are not replicated yet) and right after its first commit (§5.4.2, the scenario of Figure 8).
    if (elected) this.commitAtElection.set(term, commit);
    const atElection = this.commitAtElection.get(term);
    const firstCommit = atElection !== undefined && commit > atElection;
    if (firstCommit) this.commitAtElection.delete(term);
    if (!(elected || firstCommit) || !this.chaos || !this.faultRandom.chance(this.profile.newLeaderFault))
      return;
    const delay = this.faultRandom.between(0, unitsPerTick);
    // A crash loses what is not durable; isolation also drops the messages already in flight.
    const kind = this.faultRandom.chance(0.5) ? 'crash' : 'isolate';
    this.queue.push(this.time + delay, { kind, node, incarnation: node.incarnation });
  }

  private crash(node: SimNode): void {
    node.crash();
    this.stats.crashes++;
    this.queue.push(
      this.time + this.faultRandom.between(1, this.profile.restartDelayTicksMax) * unitsPerTick,
      {
        kind: 'restart',
        node,
      },
    );
  }

  configurationApplied(_node: SimNode, entry: Entry): void {
    if (entry.index <= this.committedConfigurationIndex) return;
    const { change, confState } = decodeConfChangeEntry(entry.data);
    this.stats.configurationChanges++;
    this.note(
      'config',
      `committed ${describeConfChange(change)} at ${entry.index}: voters=${confState.voters.join(',')} learners=${confState.learners.join(',')}`,
    );
    const previous = new Set([
      ...this.committedConfiguration.voters,
      ...this.committedConfiguration.learners,
    ]);
    const members = new Set([...confState.voters, ...confState.learners]);
    this.committedConfigurationIndex = entry.index;
    this.committedConfiguration = confState;
    for (const node of this.simNodes) {
      if (!previous.has(node.id) || members.has(node.id) || node.retired) continue;
      // Removed for good. An operator shuts it down, or forgets it and leaves it running.
      if (this.profile.stopRemovedNodes) {
        node.retired = true;
        if (node.running) node.crash();
        this.note(node.id, 'retired after its removal');
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Faults and operator actions

  private injectFaults(): void {
    const random = this.faultRandom;
    if (random.chance(this.profile.partitionChance)) this.network.startPartition(random);
    if (random.chance(this.profile.crashChance)) {
      const candidates = this.simNodes.filter((node) => node.running && !node.retired);
      if (candidates.length > 0) {
        this.crash(random.pick(candidates));
      }
    }
    if (random.chance(this.profile.membershipChance)) this.operator.changeMembership();
    if (random.chance(this.profile.transferChance)) this.operator.transferLeadership();
    this.queue.push(this.time + this.profile.faultIntervalTicks * unitsPerTick, { kind: 'fault' });
  }

  private heal(): void {
    this.chaos = false;
    this.healedAt = this.time;
    // A lagging voter may have to catch up before anything commits: allow two ticks per entry behind.
    const lastIndexes = this.simNodes.map((node) => node.raw?.status().lastIndex ?? node.storage.lastIndex());
    const backlog = Math.max(...lastIndexes) - Math.min(...this.members().map((node) => node.appliedIndex));
    this.livenessDeadline =
      this.time +
      (livenessTimeouts * this.profile.electionTimeoutTicks + 2 * Math.max(0, backlog)) * unitsPerTick;
    this.network.calm();
    this.diskLatencyMaxUnits = 10;
    for (const node of this.simNodes) if (!node.running && !node.retired) this.startNode(node);
    this.workload.stopIssuing();
    this.workload.startProbe();
    this.note('sim', 'faults healed');
    this.queue.push(this.time + unitsPerTick, { kind: 'check' });
  }

  /** After healing: the probe must commit, then every member must converge. */
  private check(): void {
    const timeout = this.profile.electionTimeoutTicks * unitsPerTick;
    const probeAt = this.workload.probeSucceededAt;
    if (probeAt === undefined) {
      if (this.time > this.livenessDeadline) {
        this.checkers.report(
          'liveness',
          this.time,
          `no write committed in time after the faults healed (${livenessTimeouts} election timeouts plus two ` +
            `ticks per entry of backlog); ` +
            this.describeNodes(),
        );
        this.finished = true;
        return;
      }
    } else {
      const members = this.members();
      const target = this.checkers.highestAppliedIndex;
      if (this.stats.livenessTicks === undefined) {
        this.stats.livenessTicks = Math.ceil((probeAt - this.healedAt) / unitsPerTick);
        // Catching up takes at least a round trip per append message, and a message may carry one entry.
        const backlog = target - Math.min(...members.map((node) => node.appliedIndex));
        this.convergenceDeadline = this.time + convergenceTimeouts * timeout + 2 * backlog * unitsPerTick;
      }
      const converged =
        members.every((node) => node.running && node.appliedIndex >= target) &&
        members.every((node) => node.appliedIndex === members[0]?.appliedIndex);
      if (converged) {
        this.finished = true;
        return;
      }
      if (this.time > this.convergenceDeadline) {
        const positions = members
          .map((node) => `${node.id}@${node.running ? node.appliedIndex : 'down'}`)
          .join(' ');
        this.checkers.report(
          'liveness',
          this.time,
          `members did not converge on applied index ${target} in time (${convergenceTimeouts} election timeouts ` +
            `plus two ticks per entry of backlog): ${positions}`,
        );
        this.finished = true;
        return;
      }
    }
    this.queue.push(this.time + unitsPerTick, { kind: 'check' });
  }

  private describeNodes(): string {
    return this.simNodes
      .map((node) => {
        if (node.raw === undefined) return `${node.id}: ${node.retired ? 'retired' : 'down'}`;
        const s = node.raw.status();
        return (
          `${node.id}: ${s.role} term=${s.term} leader=${s.leaderId || '-'} commit=${s.commit} ` +
          `applied=${node.appliedIndex} last=${s.lastIndex} voters=${s.configuration.voters.join(',')}` +
          ` learners=${s.configuration.learners.join(',')}`
        );
      })
      .join('; ');
  }

  private members(): SimNode[] {
    const { voters, learners } = this.committedConfiguration;
    const ids = new Set([...voters, ...learners]);
    return this.simNodes.filter((node) => ids.has(node.id));
  }

  // ---------------------------------------------------------------------------------------------------
  // The run

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'tick': {
        const node = event.node;
        if (!node.running || node.incarnation !== event.incarnation) return;
        this.stats.ticks++;
        node.tick();
        this.scheduleTick(node);
        return;
      }
      case 'deliver': {
        const message = event.message;
        const receiver = this.byId.get(message.to) as SimNode;
        if (!receiver.running) return;
        if (this.network.isBlocked(message.from, message.to)) {
          this.note(message.to, `blocked ${describeMessage(message)}`);
          return;
        }
        if (this.trace.enabled) this.note(message.to, describeMessage(message));
        receiver.deliver(message);
        return;
      }
      case 'disk':
        event.node.diskDone(event.incarnation);
        return;
      case 'snapshot':
        this.finishSnapshotTransfer(event);
        return;
      case 'client':
        this.workload.wake(event.client);
        return;
      case 'timeout':
        this.workload.timeout(event.operation);
        return;
      case 'fault':
        if (this.chaos) this.injectFaults();
        return;
      case 'crash':
        if (this.chaos && event.node.running && event.node.incarnation === event.incarnation) {
          this.note(event.node.id, 'crashing while a new leader');
          this.crash(event.node);
        }
        return;
      case 'isolate':
        if (this.chaos && event.node.running && event.node.incarnation === event.incarnation) {
          this.network.startPartition(this.faultRandom, event.node.id);
        }
        return;
      case 'restart':
        if (this.chaos && !event.node.running && !event.node.retired) this.startNode(event.node);
        return;
      case 'endPartition':
        if (this.chaos) this.network.endPartition(event.partition);
        return;
      case 'heal':
        this.heal();
        return;
      case 'check':
        this.check();
        return;
    }
  }

  run(): SimulationResult {
    this.note('sim', `seed ${this.options.seed}: ${describeProfile(this.profile)}`);
    for (const node of this.simNodes) this.startNode(node);
    this.workload.start();
    this.queue.push(this.faultRandom.between(1, this.profile.faultIntervalTicks) * unitsPerTick, {
      kind: 'fault',
    });
    this.queue.push(this.profile.chaosTicks * unitsPerTick, { kind: 'heal' });
    const eventsMax = 5_000_000;
    while (!this.finished) {
      const next = this.queue.pop();
      if (next === undefined) break;
      this.time = next.time;
      this.stats.events++;
      if (this.stats.events > eventsMax) {
        this.checkers.report('liveness', this.time, `the run did not end within ${eventsMax} events`);
        break;
      }
      try {
        this.handle(next.event);
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        const origin = error instanceof RaftError ? error.message : (error.stack ?? error.message);
        this.checkers.report('invariant', this.time, origin);
        this.aborted = true;
        break;
      }
    }
    this.finish();
    return {
      seed: this.options.seed,
      profile: this.profile,
      violations: this.checkers.violations,
      stats: this.stats,
      trace: this.trace.lines,
      history: this.workload.history,
    };
  }

  private finish(): void {
    this.stats.leaders = this.checkers.leaderTerms;
    this.stats.transfers = this.operator.transfers;
    this.stats.messages = this.network.messages;
    this.stats.partitions = this.network.partitions;
    this.stats.snapshotsSent = this.network.snapshotsSent;
    this.workload.closeAll();
    if (this.aborted) return;
    const verdict = checkLinearizability(keyValueModel, this.workload.history, {
      stepBudget: this.options.linearizabilityStepBudget ?? 2_000_000,
    });
    this.stats.linearizability = verdict.result;
    if (verdict.result === 'violation') this.checkers.report('linearizability', this.time, verdict.message);
  }
}
