// A small in-process cluster for unit tests and scripted scenarios. Persistence is instantaneous (each
// Ready is written to the node's MemoryStorage before its persisted messages go out), messages wait in
// one FIFO queue until delivered, and a partition is a set of blocked directions. Everything is driven
// explicitly by the test, so results are exact and repeatable.

import {
  describeMessage,
  MemoryStorage,
  RawNode,
  SeededRandom,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type RaftFactory,
  type RaftOptions,
  type ReadState,
  type Ready,
  type SnapshotMetadata,
} from '../../src/raft/index.js';

export interface TestNode {
  readonly id: NodeId;
  raw: RawNode;
  readonly storage: MemoryStorage;
  /** Entries applied by this node's state machine, in order (snapshots insert a marker). */
  applied: Entry[];
  /** The index this node's state machine has applied through. */
  appliedIndex: number;
  readStates: ReadState[];
  /** Snapshot data this node holds, by index: the applied normal payloads as text. */
  readonly snapshots: Map<number, string[]>;
  state: string[];
  running: boolean;
}

export interface ClusterOptions {
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** Nodes that start with an empty configuration, ready to be added later. */
  readonly spare?: readonly NodeId[];
  readonly seed?: number;
  readonly raft?: Partial<Omit<RaftOptions, 'id' | 'random'>>;
  /** Per node: a different state machine behind the RawNode. */
  readonly factories?: Readonly<Record<NodeId, RaftFactory>>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function text(value: string): Uint8Array {
  return encoder.encode(value);
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  queue: Message[] = [];
  private readonly blocked = new Set<string>();
  /** When set, every delivered or dropped message and notable event is recorded here. */
  readonly transcript: string[] = [];
  recordTranscript = false;
  private readonly random: SeededRandom;

  constructor(private readonly options: ClusterOptions) {
    this.random = new SeededRandom(options.seed ?? 1);
    const bootstrap: ConfState = { voters: [...options.voters], learners: [...(options.learners ?? [])] };
    for (const id of [...options.voters, ...(options.learners ?? [])]) this.addNode(id, bootstrap);
    for (const id of options.spare ?? []) this.addNode(id, { voters: [], learners: [] });
  }

  private optionsFor(id: NodeId, appliedIndex: number): RaftOptions {
    return { ...this.options.raft, id, random: this.random.fork(), appliedIndex };
  }

  private addNode(id: NodeId, bootstrap: ConfState): void {
    const storage = new MemoryStorage(bootstrap);
    const raw = new RawNode(this.optionsFor(id, 0), storage, this.options.factories?.[id]);
    this.nodes.set(id, {
      id,
      raw,
      storage,
      applied: [],
      appliedIndex: 0,
      readStates: [],
      snapshots: new Map(),
      state: [],
      running: true,
    });
  }

  node(id: NodeId): TestNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  raw(id: NodeId): RawNode {
    return this.node(id).raw;
  }

  note(line: string): void {
    if (this.recordTranscript) this.transcript.push(line);
  }

  /** Handles every pending Ready of one node. */
  process(id: NodeId): void {
    const node = this.node(id);
    if (!node.running) return;
    for (let round = 0; node.raw.hasReady(); round++) {
      if (round > 1000) throw new Error(`node ${id} never stops producing Ready`);
      this.handleReady(node, node.raw.ready());
    }
  }

  private handleReady(node: TestNode, ready: Ready): void {
    if (ready.softState !== undefined) {
      this.note(`${node.id} is now ${ready.softState.role} (leader ${ready.softState.leaderId || 'none'})`);
    }
    this.queue.push(...ready.messages);
    if (ready.snapshot !== undefined) this.installSnapshot(node, ready.snapshot);
    if (ready.entries.length > 0) node.storage.append(ready.entries);
    if (ready.hardState !== undefined) node.storage.setHardState(ready.hardState);
    this.queue.push(...ready.persistedMessages);
    for (const entry of ready.committedEntries) {
      if (entry.index !== node.appliedIndex + 1) {
        throw new Error(`node ${node.id} applied ${entry.index} after ${node.appliedIndex}`);
      }
      node.applied.push(entry);
      node.appliedIndex = entry.index;
      if (entry.type === 'normal') node.state.push(decoder.decode(entry.data));
    }
    node.readStates.push(...ready.readStates);
    node.raw.advance(ready);
  }

  private installSnapshot(node: TestNode, snapshot: SnapshotMetadata): void {
    // The harness streams snapshots instantly: the data comes from any node holding that snapshot.
    let data: string[] | undefined;
    for (const other of this.nodes.values()) data ??= other.snapshots.get(snapshot.index);
    if (data === undefined) throw new Error(`no node holds snapshot data for index ${snapshot.index}`);
    node.snapshots.set(snapshot.index, data);
    node.storage.applySnapshot(snapshot);
    node.state = [...data];
    node.appliedIndex = snapshot.index;
    this.note(`${node.id} installed snapshot ${snapshot.index}/${snapshot.term}`);
  }

  /** Takes a snapshot of `id`'s state machine at its applied index and compacts its log to `compactTo`. */
  snapshotAndCompact(id: NodeId, compactTo?: number): SnapshotMetadata {
    const node = this.node(id);
    const meta = node.storage.createSnapshot(node.appliedIndex);
    node.snapshots.set(meta.index, [...node.state]);
    node.storage.compact(compactTo ?? meta.index);
    return meta;
  }

  processAll(): void {
    for (const id of this.nodes.keys()) this.process(id);
  }

  private isBlocked(message: Message): boolean {
    return this.blocked.has(`${message.from}->${message.to}`) || !this.node(message.to).running;
  }

  /** Delivers one queued message. Returns false when the queue is empty. */
  deliverOne(): boolean {
    const message = this.queue.shift();
    if (message === undefined) return false;
    if (this.isBlocked(message) || !this.nodes.get(message.from)?.running) {
      this.note(`dropped ${describeMessage(message)}`);
      if (message.type === 'installSnapshot') this.raw(message.from).reportSnapshot(message.to, 'failed');
      return true;
    }
    this.note(describeMessage(message));
    this.raw(message.to).step(message);
    if (message.type === 'installSnapshot') this.raw(message.from).reportSnapshot(message.to, 'finished');
    this.process(message.to);
    this.process(message.from);
    return true;
  }

  /** Processes and delivers until nothing moves. */
  stabilize(stepsMax = 100_000): void {
    this.processAll();
    for (let steps = 0; ; steps++) {
      if (steps > stepsMax) throw new Error('cluster did not stabilize');
      if (!this.deliverOne()) {
        this.processAll();
        if (this.queue.length === 0) return;
      }
    }
  }

  tick(id: NodeId, count = 1): void {
    for (let i = 0; i < count; i++) {
      if (!this.node(id).running) return;
      this.raw(id).tick();
      this.process(id);
    }
  }

  tickAll(count = 1): void {
    for (let i = 0; i < count; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  /** Ticks every node and delivers messages between ticks, `count` times. */
  run(count: number): void {
    for (let i = 0; i < count; i++) {
      this.tickAll();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.raw(id).campaign();
    this.process(id);
  }

  /** Elects `id` (campaign and deliver everything). */
  elect(id: NodeId): void {
    this.campaign(id);
    this.stabilize();
    const status = this.raw(id).status();
    if (status.role !== 'leader') throw new Error(`node ${id} failed to become leader: ${status.role}`);
  }

  propose(id: NodeId, value: string): { index: number; term: number } {
    const position = this.raw(id).propose(text(value));
    this.process(id);
    return position;
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}->${to}`);
  }

  /** Cuts `id` off from every other node, both ways. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.block(id, other);
      this.block(other, id);
    }
  }

  /** Splits the cluster: nodes in different groups cannot talk. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    for (const a of groups)
      for (const b of groups) {
        if (a === b) continue;
        for (const from of a) for (const to of b) this.block(from, to);
      }
  }

  heal(): void {
    this.blocked.clear();
  }

  /** Drops every queued message (as a lossy network would). */
  dropQueued(): void {
    for (const message of this.queue) this.note(`dropped ${describeMessage(message)}`);
    this.queue = [];
  }

  /** Stops a node. Its storage is durable (every Ready was persisted before advance). */
  crash(id: NodeId): void {
    this.node(id).running = false;
    this.note(`${id} crashed`);
  }

  /** Restarts a node from its storage; its state machine restarts from its latest snapshot. */
  restart(id: NodeId): void {
    const node = this.node(id);
    const snapshot = node.storage.snapshot();
    node.state = [...(node.snapshots.get(snapshot.index) ?? [])];
    node.appliedIndex = snapshot.index;
    node.raw = new RawNode(this.optionsFor(id, snapshot.index), node.storage, this.options.factories?.[id]);
    node.running = true;
    this.note(`${id} restarted`);
  }

  leader(): NodeId | undefined {
    let found: NodeId | undefined;
    for (const [id, node] of this.nodes) {
      if (node.running && node.raw.status().role === 'leader') {
        if (found !== undefined) throw new Error(`two leaders: ${found} and ${id}`);
        found = id;
      }
    }
    return found;
  }

  /** One line per node: role, term, leader, commit, applied, last index, configuration. */
  describe(): string[] {
    const lines: string[] = [];
    for (const [id, node] of this.nodes) {
      if (!node.running) {
        lines.push(`${id}: down`);
        continue;
      }
      const s = node.raw.status();
      const learners =
        s.configuration.learners.length > 0 ? ` learners=${s.configuration.learners.join(',')}` : '';
      lines.push(
        `${id}: ${s.role} term=${s.term} leader=${s.leaderId || '-'} commit=${s.commit} applied=${s.applied} ` +
          `last=${s.lastIndex} voters=${s.configuration.voters.join(',')}${learners}`,
      );
    }
    return lines;
  }
}
