// Helpers for tests that drive one node by hand: build it over a MemoryStorage, feed it messages, and
// collect what it sends, persisting each Ready at once (or not, when a test needs the gap).

import {
  MemoryStorage,
  RawNode,
  SeededRandom,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftFactory,
  type RaftOptions,
  type Ready,
} from '../../src/raft/index.js';

export interface NodeUnderTest {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
  /** Everything the node applied, in order. */
  readonly applied: Entry[];
}

export interface NodeSetup {
  readonly voters?: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** Terms of the entries already in the log, index 1 first. */
  readonly logTerms?: readonly number[];
  readonly hardState?: HardState;
  readonly options?: Partial<Omit<RaftOptions, 'id' | 'random'>>;
  readonly seed?: number;
  readonly factory?: RaftFactory;
}

const encoder = new TextEncoder();

export function entriesWithTerms(terms: readonly number[], firstIndex = 1): Entry[] {
  return terms.map((term, i) => ({
    index: firstIndex + i,
    term,
    type: 'normal',
    data: encoder.encode(`${firstIndex + i}@${term}`),
  }));
}

export function makeNode(id: NodeId, setup: NodeSetup = {}): NodeUnderTest {
  const confState: ConfState = {
    voters: [...(setup.voters ?? ['1', '2', '3'])],
    learners: [...(setup.learners ?? [])],
  };
  const storage = new MemoryStorage(confState);
  const terms = setup.logTerms ?? [];
  storage.append(entriesWithTerms(terms));
  const lastTerm = terms[terms.length - 1] ?? 0;
  storage.setHardState(setup.hardState ?? { term: lastTerm, vote: '', commit: 0 });
  const raw = new RawNode(
    { id, random: new SeededRandom(setup.seed ?? 7), ...setup.options },
    storage,
    setup.factory,
  );
  return { raw, storage, applied: [] };
}

/** Persists one Ready as the contract says and returns it. */
export function persist(node: NodeUnderTest, ready: Ready): void {
  if (ready.snapshot !== undefined) node.storage.applySnapshot(ready.snapshot);
  node.storage.append(ready.entries);
  if (ready.hardState !== undefined) node.storage.setHardState(ready.hardState);
  node.applied.push(...ready.committedEntries);
}

/** Handles every Ready (persisting at once) and returns all messages sent, in order. */
export function drain(node: NodeUnderTest): Message[] {
  const sent: Message[] = [];
  for (let round = 0; node.raw.hasReady(); round++) {
    if (round > 100) throw new Error('node keeps producing Ready');
    const ready = node.raw.ready();
    sent.push(...ready.messages);
    persist(node, ready);
    sent.push(...ready.persistedMessages);
    node.raw.advance(ready);
  }
  return sent;
}

/** The messages of one type among `messages`. */
export function ofType<T extends Message['type']>(
  messages: readonly Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

/** Ticks until the node sends something (or `limit` ticks pass), returning how many ticks it took. */
export function tickUntilSending(node: NodeUnderTest, limit: number): { ticks: number; sent: Message[] } {
  for (let ticks = 1; ticks <= limit; ticks++) {
    node.raw.tick();
    const sent = drain(node);
    if (sent.length > 0) return { ticks, sent };
  }
  return { ticks: limit, sent: [] };
}
