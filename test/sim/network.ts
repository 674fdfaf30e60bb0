// The simulated network between nodes: each message is lost, duplicated, delayed or held back (so that
// later ones overtake it) as the fault profile says, and partitions block directions of travel. A
// message in flight when a partition starts is dropped on arrival, as a broken connection would drop it.

import {
  describeMessage,
  type InstallSnapshotRequest,
  type Message,
  type NodeId,
  type SeededRandom,
} from '../../src/raft/index.js';
import { unitsPerTick, type FaultProfile } from './profile.js';
import type { Trace } from './trace.js';

export interface NetworkHost {
  now(): number;
  readonly trace: Trace;
  deliverAt(at: number, message: Message): void;
  snapshotArrivesAt(at: number, message: InstallSnapshotRequest, data: string): void;
  partitionEndsAt(at: number, partition: number): void;
  /** Tells the sender's core that a peer could not be reached (what a transport would notice). */
  unreachable(from: NodeId, to: NodeId): void;
}

export type PartitionKind = 'split' | 'isolate' | 'oneWay' | 'deaf';

/** Snapshot streaming speed, in bytes per time unit. */
const snapshotBytesPerUnit = 64;

export class Network {
  private blocked = new Set<string>();
  private partition = 0;
  private messageLoss: number;
  private duplication: number;
  private reorder: number;
  private delayMaxUnits: number;
  messages = 0;
  partitions = 0;
  snapshotsSent = 0;

  constructor(
    private readonly host: NetworkHost,
    private readonly profile: FaultProfile,
    private readonly random: SeededRandom,
    private readonly ids: readonly NodeId[],
  ) {
    this.messageLoss = profile.messageLoss;
    this.duplication = profile.duplication;
    this.reorder = profile.reorder;
    this.delayMaxUnits = profile.delayMaxUnits;
  }

  private note(who: string, text: string): void {
    if (this.host.trace.enabled) this.host.trace.add(this.host.now(), who, text);
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(`${from}>${to}`);
  }

  private delay(): number {
    return this.random.between(this.profile.delayMinUnits, this.delayMaxUnits);
  }

  /** Sends ordinary messages; InstallSnapshot offers go through `streamSnapshot`. */
  send(message: Message): void {
    this.messages++;
    if (this.isBlocked(message.from, message.to)) {
      this.note(message.from, `blocked ${describeMessage(message)}`);
      if (this.random.chance(0.3)) this.host.unreachable(message.from, message.to);
      return;
    }
    if (this.random.chance(this.messageLoss)) {
      this.note(message.from, `lost ${describeMessage(message)}`);
      return;
    }
    const copies = this.random.chance(this.duplication) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      let delay = this.delay();
      if (this.random.chance(this.reorder)) delay += this.random.between(0, 10 * unitsPerTick);
      this.host.deliverAt(this.host.now() + delay, message);
    }
  }

  /** Streams a snapshot's data beside its offer; it takes longer the larger the data. */
  streamSnapshot(message: InstallSnapshotRequest, data: string): void {
    this.messages++;
    this.snapshotsSent++;
    this.note(
      message.from,
      `streaming snapshot ${message.snapshot.index} (${data.length} bytes) to ${message.to}`,
    );
    const duration = this.delay() + Math.ceil(data.length / snapshotBytesPerUnit);
    this.host.snapshotArrivesAt(this.host.now() + duration, message, data);
  }

  /** Whether a stream that ends now got through: a partition or a loss on the way breaks it. */
  streamSucceeds(message: InstallSnapshotRequest): boolean {
    return (
      !this.isBlocked(message.from, message.to) &&
      !this.isBlocked(message.to, message.from) &&
      !this.random.chance(this.messageLoss)
    );
  }

  /** Starts a partition of a random kind, or isolates `isolated`; it ends after 5 to 80 ticks. */
  startPartition(faultRandom: SeededRandom, isolated?: NodeId): void {
    const ids = this.ids;
    this.blocked = new Set();
    const kinds: readonly PartitionKind[] = ['split', 'isolate', 'oneWay', 'deaf'];
    const kind = isolated === undefined ? faultRandom.pick(kinds) : 'isolate';
    switch (kind) {
      case 'split': {
        const shuffled = [...ids];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = faultRandom.nextInt(i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
        }
        const side = new Set(shuffled.slice(0, faultRandom.between(1, ids.length - 1)));
        for (const a of ids)
          for (const b of ids) if (side.has(a) !== side.has(b)) this.blocked.add(`${a}>${b}`);
        this.note('net', `partition {${[...side].join(',')}} | rest`);
        break;
      }
      case 'isolate': {
        const lonely = isolated ?? faultRandom.pick(ids);
        for (const other of ids) {
          if (other === lonely) continue;
          this.blocked.add(`${lonely}>${other}`);
          this.blocked.add(`${other}>${lonely}`);
        }
        this.note('net', `isolate ${lonely}`);
        break;
      }
      case 'oneWay': {
        const from = faultRandom.pick(ids);
        const to = faultRandom.pick(ids.filter((id) => id !== from));
        this.blocked.add(`${from}>${to}`);
        this.note('net', `one-way cut ${from} -> ${to}`);
        break;
      }
      case 'deaf': {
        const deaf = faultRandom.pick(ids);
        for (const other of ids) if (other !== deaf) this.blocked.add(`${other}>${deaf}`);
        this.note('net', `node ${deaf} receives nothing but can send`);
        break;
      }
    }
    this.partitions++;
    this.partition++;
    this.host.partitionEndsAt(this.host.now() + faultRandom.between(5, 80) * unitsPerTick, this.partition);
  }

  /** Ends partition number `partition` if it is still the current one. */
  endPartition(partition: number): void {
    if (partition !== this.partition || this.blocked.size === 0) return;
    this.blocked = new Set();
    this.note('net', 'partition healed');
  }

  /** After the chaos phase: no partitions, no loss, no duplication or reordering, short delays. */
  calm(): void {
    this.blocked = new Set();
    this.partition++;
    this.messageLoss = 0;
    this.duplication = 0;
    this.reorder = 0;
    this.delayMaxUnits = Math.min(this.delayMaxUnits, this.profile.delayMinUnits + 10);
  }
}
