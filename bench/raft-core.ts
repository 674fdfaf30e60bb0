// The consensus core's own cost: proposals committed per second by a 3-node cluster held in memory,
// with instant delivery and instant "disks", so that nothing but the core (and MemoryStorage) is
// measured. Two figures: one proposal at a time (each waits for its commit), and a window of 64
// proposals in flight.
//
//   node dist/bench/raft-core.js          prints one "name: value unit" line per figure

import { pathToFileURL } from 'node:url';

import { MemoryStorage, RawNode, SeededRandom, type Message } from '../src/raft/index.js';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

interface BenchNode {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
}

class InstantCluster {
  readonly nodes = new Map<string, BenchNode>();
  private queue: Message[] = [];
  committed = 0;

  constructor(ids: readonly string[]) {
    for (const [i, id] of ids.entries()) {
      const storage = new MemoryStorage({ voters: [...ids], learners: [] });
      const raw = new RawNode({ id, random: new SeededRandom(i + 1), heartbeatIntervalTicks: 1 }, storage);
      this.nodes.set(id, { raw, storage });
    }
  }

  private node(id: string): BenchNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private process(id: string): void {
    const { raw, storage } = this.node(id);
    while (raw.hasReady()) {
      const ready = raw.ready();
      for (const message of ready.messages) this.queue.push(message);
      if (ready.snapshot !== undefined) storage.applySnapshot(ready.snapshot);
      if (ready.entries.length > 0) storage.append(ready.entries);
      if (ready.hardState !== undefined) storage.setHardState(ready.hardState);
      for (const message of ready.persistedMessages) this.queue.push(message);
      if (id === '1') {
        for (const entry of ready.committedEntries) if (entry.type === 'normal') this.committed++;
      }
      raw.advance(ready);
    }
  }

  /** Delivers messages until none are left. */
  settle(): void {
    for (const id of this.nodes.keys()) this.process(id);
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      for (const message of batch) {
        this.node(message.to).raw.step(message);
        this.process(message.to);
      }
    }
  }

  elect(): void {
    this.node('1').raw.campaign();
    this.settle();
    if (this.node('1').raw.status().role !== 'leader') throw new Error('node 1 was not elected');
  }

  propose(payload: Uint8Array): void {
    this.node('1').raw.propose(payload);
  }

  /** Keeps logs short, as an application taking snapshots would. */
  compact(): void {
    for (const { storage, raw } of this.nodes.values()) {
      const applied = raw.status().applied;
      if (applied - storage.snapshot().index < 10_000) continue;
      storage.createSnapshot(applied);
      storage.compact(applied);
    }
  }
}

function measure(window: number, durationMs: number): number {
  const cluster = new InstantCluster(['1', '2', '3']);
  cluster.elect();
  const payload = new Uint8Array(64).fill(7);
  const started = performance.now();
  let elapsed = 0;
  for (let round = 0; elapsed < durationMs; round++) {
    for (let i = 0; i < window; i++) cluster.propose(payload);
    cluster.settle();
    if (round % 64 === 0) {
      cluster.compact();
      elapsed = performance.now() - started;
    }
  }
  elapsed = performance.now() - started;
  return Math.round((cluster.committed / elapsed) * 1000);
}

export async function benchRaftCore(): Promise<BenchResult[]> {
  // A short warm-up lets the JIT settle before the measured runs.
  measure(64, 200);
  await Promise.resolve();
  return [
    { name: 'core commits, one proposal at a time', value: measure(1, 1500), unit: 'proposals/s' },
    { name: 'core commits, 64 proposals in flight', value: measure(64, 1500), unit: 'proposals/s' },
  ];
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  for (const result of await benchRaftCore()) console.log(`${result.name}: ${result.value} ${result.unit}`);
}
