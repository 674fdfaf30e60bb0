// One simulated server: the application around a RawNode. It follows the Ready contract with a disk
// that takes time (one write in flight at a time), applies committed entries to a key-value state
// machine, takes snapshots and compacts, and answers its clients' proposals and reads. A crash loses
// everything not yet durable; a write in progress may leave a prefix of its records behind.

import {
  MemoryStorage,
  RawNode,
  readyNeedsPersistence,
  type ConfState,
  type Entry,
  type LogPosition,
  type Message,
  type NodeId,
  type RaftFactory,
  type ReadMode,
  type Ready,
  type SeededRandom,
  type SnapshotMetadata,
} from '../../src/raft/index.js';
import type { KeyValueOutput } from '../lib/linearizability.js';
import type { SafetyCheckers } from './checkers.js';
import { decodeCommand, encodeCommand, KvMachine, type KvCommand } from './kv-machine.js';
import type { FaultProfile } from './profile.js';
import type { Trace } from './trace.js';

/** What a node needs from the simulation around it. */
export interface NodeHost {
  now(): number;
  readonly profile: FaultProfile;
  readonly trace: Trace;
  readonly checkers: SafetyCheckers;
  /** The node is leader of `term` with commit index `commit` (called after every input while it is). */
  observeLeader(node: SimNode, term: number, commit: number): void;
  readonly raftFactory: RaftFactory | undefined;
  send(from: SimNode, messages: readonly Message[]): void;
  scheduleDiskDone(node: SimNode, at: number, incarnation: number): void;
  /** `failed`: the operation certainly did not take effect; `unknown`: it may or may not have. */
  operationDone(operation: number, outcome: KeyValueOutput | 'failed' | 'unknown'): void;
  configurationApplied(node: SimNode, entry: Entry): void;
  /** A read was confirmed by `quorum` or by `lease`. */
  readConfirmed(by: 'quorum' | 'lease'): void;
}

interface PendingRead {
  readonly operation: number;
  readonly key: string;
}

const contextBytes = 4;

function readContext(operation: number): Uint8Array {
  const context = new Uint8Array(contextBytes);
  new DataView(context.buffer).setUint32(0, operation);
  return context;
}

function operationOfContext(context: Uint8Array): number {
  return new DataView(context.buffer, context.byteOffset, context.byteLength).getUint32(0);
}

export class SimNode {
  /** Durable: survives crashes. */
  readonly storage: MemoryStorage;
  /** Durable snapshot data by index (the application's snapshot store). */
  readonly snapshots = new Map<number, string>();

  raw: RawNode | undefined;
  incarnation = 0;
  /** Shut down for good (removed from the cluster). */
  retired = false;
  private kv = new KvMachine();
  appliedIndex = 0;
  private diskWrite: Ready | undefined;
  private readonly pendingProposals = new Map<number, { term: number; operation: number }>();
  private readonly pendingReads = new Map<number, PendingRead>();
  private readsAwaitingApply: { index: number; read: PendingRead }[] = [];

  constructor(
    readonly id: NodeId,
    readonly slot: number,
    bootstrap: ConfState,
    private readonly host: NodeHost,
    private readonly random: SeededRandom,
  ) {
    this.storage = new MemoryStorage(bootstrap);
  }

  get running(): boolean {
    return this.raw !== undefined;
  }

  private trace(text: string): void {
    if (this.host.trace.enabled) this.host.trace.add(this.host.now(), this.id, text);
  }

  start(): void {
    const snapshot = this.storage.snapshot();
    const data = snapshot.index === 0 ? '[]' : this.snapshots.get(snapshot.index);
    if (data === undefined) throw new Error(`node ${this.id} has no data for its snapshot ${snapshot.index}`);
    this.kv = KvMachine.fromSnapshot(data);
    this.appliedIndex = snapshot.index;
    this.incarnation++;
    const profile = this.host.profile;
    this.raw = new RawNode(
      {
        id: this.id,
        random: this.random.fork(),
        electionTimeoutTicks: profile.electionTimeoutTicks,
        heartbeatIntervalTicks: profile.heartbeatIntervalTicks,
        preVote: profile.preVote,
        checkQuorum: profile.checkQuorum,
        leaseMarginTicks: profile.leaseMarginTicks,
        appliedIndex: snapshot.index,
        messageBytesMax: profile.messageBytesMax,
        inflightMessagesMax: profile.inflightMessagesMax,
      },
      this.storage,
      this.host.raftFactory,
    );
    const hard = this.storage.initialState().hardState;
    this.trace(
      `started: term=${hard.term} vote=${hard.vote || '-'} commit=${hard.commit} snapshot=${snapshot.index} last=${this.storage.lastIndex()}`,
    );
    this.observe();
  }

  /** Loses everything volatile. A write in progress may leave a prefix of its records on disk. */
  crash(): void {
    const write = this.diskWrite;
    if (write !== undefined && this.random.chance(this.host.profile.tornWrite)) {
      const records =
        (write.snapshot === undefined ? 0 : 1) +
        write.entries.length +
        (write.hardState === undefined ? 0 : 1);
      const kept = this.random.between(0, records);
      this.persist(write, kept);
      this.trace(`crashed during a write, keeping ${kept} of ${records} records`);
    } else {
      this.trace(write === undefined ? 'crashed' : 'crashed during a write, losing it');
    }
    this.raw = undefined;
    this.diskWrite = undefined;
    for (const pending of this.pendingProposals.values()) this.forget(pending.operation);
    for (const read of this.pendingReads.values()) this.forget(read.operation);
    for (const waiting of this.readsAwaitingApply) this.forget(waiting.read.operation);
    this.pendingProposals.clear();
    this.pendingReads.clear();
    this.readsAwaitingApply = [];
  }

  /** The client of an operation in flight here sees its connection drop: the outcome is unknown. */
  private forget(operation: number): void {
    this.host.operationDone(operation, 'unknown');
  }

  /** Writes the first `records` records of a Ready: snapshot, then entries, then hard state. */
  private persist(ready: Ready, records: number): void {
    let remaining = records;
    if (ready.snapshot !== undefined && remaining > 0) {
      this.storage.applySnapshot(ready.snapshot);
      remaining--;
    }
    const entries = ready.entries.slice(0, Math.min(remaining, ready.entries.length));
    const first = entries[0];
    if (first !== undefined) {
      // Log matching concerns logs: entries are observed once durable (a Ready taken but lost in a crash,
      // never sent anywhere, is no part of any log).
      const previousIndex = first.index - 1;
      const durable =
        previousIndex >= this.storage.firstIndex() - 1 && previousIndex <= this.storage.lastIndex();
      const prevTerm = durable ? this.storage.term(previousIndex) : undefined;
      this.host.checkers.observeAppended(this.host.now(), this.id, entries, prevTerm);
    }
    this.storage.append(entries);
    remaining -= entries.length;
    if (ready.hardState !== undefined && remaining > 0) this.storage.setHardState(ready.hardState);
  }

  /** Records what the core says about its role, for the checkers. */
  observe(): void {
    const raw = this.raw;
    if (raw === undefined) return;
    const soft = raw.softState();
    if (soft.role !== 'leader') return;
    const { term, commit } = raw.hardState();
    // A leader exists for the cluster once its term is durable: before that it has sent nothing and
    // committed nothing (a single voter electing itself), and a crash erases it without a trace.
    if (this.storage.initialState().hardState.term !== term) return;
    this.host.observeLeader(this, term, commit);
  }

  tick(): void {
    this.raw?.tick();
    this.afterInput();
  }

  deliver(message: Message): void {
    if (this.raw === undefined) return;
    this.raw.step(message);
    this.afterInput();
  }

  afterInput(): void {
    this.observe();
    this.pump();
  }

  propose(operation: number, command: KvCommand): LogPosition {
    const raw = this.mustRun();
    const position = raw.propose(encodeCommand(command));
    this.pendingProposals.set(position.index, { term: position.term, operation });
    this.trace(`accepted operation ${operation} at ${position.index}/${position.term}`);
    this.afterInput();
    return position;
  }

  readIndex(operation: number, key: string, mode: ReadMode): void {
    const raw = this.mustRun();
    raw.readIndex(readContext(operation), mode);
    this.pendingReads.set(operation, { operation, key });
    this.trace(`read ${operation} of ${key} by ${mode}`);
    this.afterInput();
  }

  private mustRun(): RawNode {
    if (this.raw === undefined) throw new Error(`node ${this.id} is down`);
    return this.raw;
  }

  diskDone(incarnation: number): void {
    const write = this.diskWrite;
    if (incarnation !== this.incarnation || write === undefined) return;
    this.complete(write);
    this.afterInput();
  }

  /** Snapshot data arrived from the leader; it is durable here before the message is stepped. */
  stageSnapshot(index: number, data: string): void {
    this.snapshots.set(index, data);
  }

  private pump(): void {
    const raw = this.raw;
    if (raw === undefined) return;
    for (let rounds = 0; this.diskWrite === undefined && raw.hasReady(); rounds++) {
      if (rounds > 10_000) throw new Error(`node ${this.id} produced Ready without end`);
      const ready = raw.ready();
      if (ready.softState !== undefined) {
        this.trace(
          `now ${ready.softState.role}, leader ${ready.softState.leaderId || 'unknown'} (term ${raw.hardState().term})`,
        );
      }
      this.host.send(this, ready.messages);
      const latency = this.host.profile.diskLatencies[this.slot] ?? 0;
      if (readyNeedsPersistence(ready) && latency > 0) {
        this.diskWrite = ready;
        this.host.scheduleDiskDone(this, this.host.now() + latency, this.incarnation);
        return;
      }
      this.complete(ready);
      if (this.raw !== raw) return;
    }
  }

  private complete(ready: Ready): void {
    const raw = this.mustRun();
    this.diskWrite = undefined;
    const records =
      (ready.snapshot === undefined ? 0 : 1) + ready.entries.length + (ready.hardState === undefined ? 0 : 1);
    this.persist(ready, records);
    this.host.send(this, ready.persistedMessages);
    if (ready.snapshot !== undefined) this.installSnapshot(ready.snapshot);
    for (const entry of ready.committedEntries) this.apply(entry);
    for (const state of ready.readStates) {
      const operation = operationOfContext(state.context);
      const read = this.pendingReads.get(operation);
      if (read === undefined) continue;
      this.host.readConfirmed(state.confirmedBy);
      this.pendingReads.delete(operation);
      this.readsAwaitingApply.push({ index: state.index, read });
    }
    this.serveReads();
    raw.advance(ready);
    this.maybeSnapshot();
  }

  private installSnapshot(snapshot: SnapshotMetadata): void {
    const data = this.snapshots.get(snapshot.index);
    if (data === undefined)
      throw new Error(`node ${this.id} must install snapshot ${snapshot.index} without its data`);
    this.kv = KvMachine.fromSnapshot(data);
    this.appliedIndex = snapshot.index;
    this.host.checkers.observeSnapshot(this.host.now(), this.id, snapshot.index, snapshot.term, data);
    this.trace(`installed snapshot ${snapshot.index}/${snapshot.term}`);
  }

  private apply(entry: Entry): void {
    this.host.checkers.observeApplied(this.host.now(), this.id, entry, this.appliedIndex);
    this.appliedIndex = entry.index;
    let output: KeyValueOutput | undefined;
    if (entry.type === 'normal') {
      const command = decodeCommand(entry.data);
      output = this.kv.apply(command.input);
    } else if (entry.type === 'confChange') {
      this.host.configurationApplied(this, entry);
    }
    const pending = this.pendingProposals.get(entry.index);
    if (pending === undefined) return;
    this.pendingProposals.delete(entry.index);
    // Only one entry can ever be committed at an index: if it is not ours, ours never will be.
    const ours = pending.term === entry.term && output !== undefined;
    this.host.operationDone(pending.operation, ours ? (output as KeyValueOutput) : 'failed');
  }

  private serveReads(): void {
    if (this.readsAwaitingApply.length === 0) return;
    const waiting: { index: number; read: PendingRead }[] = [];
    for (const item of this.readsAwaitingApply) {
      if (item.index <= this.appliedIndex) {
        this.host.operationDone(item.read.operation, { kind: 'get', value: this.kv.get(item.read.key) });
      } else {
        waiting.push(item);
      }
    }
    this.readsAwaitingApply = waiting;
  }

  private maybeSnapshot(): void {
    const profile = this.host.profile;
    const latest = this.storage.snapshot();
    if (this.appliedIndex - latest.index < profile.snapshotIntervalEntries) return;
    const meta = this.storage.createSnapshot(this.appliedIndex);
    const data = this.kv.snapshot();
    this.snapshots.set(meta.index, data);
    this.host.checkers.observeSnapshot(this.host.now(), this.id, meta.index, meta.term, data);
    const compactTo = meta.index - profile.compactionLagEntries;
    if (compactTo > this.storage.firstIndex() - 1) this.storage.compact(compactTo);
    // Restarts use the latest snapshot; an InstallSnapshot message produced just before this snapshot may
    // still name the previous one, so that one is kept too. Data staged from a leader for a later index
    // is kept until installed.
    if (latest.index > 0) {
      for (const index of this.snapshots.keys()) if (index < latest.index) this.snapshots.delete(index);
    }
    this.trace(`snapshot at ${meta.index}/${meta.term}, log now starts at ${this.storage.firstIndex()}`);
  }
}
