// Cluster membership, one change at a time (see DESIGN.md for why). A configuration entry in the log
// carries the change and the whole configuration that results from it, so that any node can adopt it
// without knowing the configuration before it: a node that joins with an empty log needs nothing else.
// Each node uses the newest configuration in its log, committed or not (dissertation §4.1).

import { ConfChangeRejectedError, RaftInvariantError } from './errors.js';
import type { ConfState, NodeId } from './types.js';

export type ConfChangeKind = 'addVoter' | 'addLearner' | 'removeNode';

/**
 * One membership change:
 * - `addVoter`: add a new voter, or promote a learner;
 * - `addLearner`: add a new learner (receives the log, never votes nor counts), or demote a voter;
 * - `removeNode`: remove a voter or a learner.
 * `context` is opaque to the core (the application may carry a node's addresses in it).
 */
export interface ConfChange {
  readonly kind: ConfChangeKind;
  readonly node: NodeId;
  readonly context?: Uint8Array;
}

/** What a `confChange` entry holds: the change and the configuration it produces. */
export interface ConfChangeEntry {
  readonly change: ConfChange;
  readonly confState: ConfState;
}

/** A validated configuration with constant-time membership tests. */
export class Configuration {
  readonly voters: ReadonlySet<NodeId>;
  readonly learners: ReadonlySet<NodeId>;

  constructor(confState: ConfState) {
    const voters = new Set(confState.voters);
    const learners = new Set(confState.learners);
    if (voters.size !== confState.voters.length || learners.size !== confState.learners.length) {
      throw new RaftInvariantError(`configuration lists a node twice: ${describeConfState(confState)}`);
    }
    for (const id of [...voters, ...learners]) {
      if (id === '') throw new RaftInvariantError('configuration contains an empty node id');
      if (voters.has(id) && learners.has(id)) {
        throw new RaftInvariantError(`node ${id} is both a voter and a learner`);
      }
    }
    this.voters = voters;
    this.learners = learners;
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  /** Voters then learners, each sorted: a deterministic order for broadcasts and traces. */
  members(): NodeId[] {
    return [...sortedIds(this.voters), ...sortedIds(this.learners)];
  }

  toConfState(): ConfState {
    return { voters: sortedIds(this.voters), learners: sortedIds(this.learners) };
  }
}

function sortedIds(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort();
}

export function describeConfState(confState: ConfState): string {
  const learners = confState.learners.length > 0 ? ` learners=[${confState.learners.join(',')}]` : '';
  return `voters=[${confState.voters.join(',')}]${learners}`;
}

export function describeConfChange(change: ConfChange): string {
  return `${change.kind} ${change.node}`;
}

/**
 * The configuration that results from `change`, or a rejection explaining why the change is invalid.
 * Every valid change adds or removes at most one voter, which is what makes one-at-a-time changes safe:
 * any majority of the old voters and any majority of the new voters share a node.
 */
export function applyConfChange(current: Configuration, change: ConfChange): ConfState {
  const { node } = change;
  if (node === '') throw new ConfChangeRejectedError('the node id is empty');
  const voters = new Set(current.voters);
  const learners = new Set(current.learners);
  switch (change.kind) {
    case 'addVoter':
      if (voters.has(node)) throw new ConfChangeRejectedError(`node ${node} is already a voter`);
      learners.delete(node);
      voters.add(node);
      break;
    case 'addLearner':
      if (learners.has(node)) throw new ConfChangeRejectedError(`node ${node} is already a learner`);
      if (voters.has(node) && voters.size === 1) {
        throw new ConfChangeRejectedError(`node ${node} is the last voter and cannot become a learner`);
      }
      voters.delete(node);
      learners.add(node);
      break;
    case 'removeNode':
      if (!voters.has(node) && !learners.has(node)) {
        throw new ConfChangeRejectedError(`node ${node} is not a member`);
      }
      if (voters.has(node) && voters.size === 1) {
        throw new ConfChangeRejectedError(`node ${node} is the last voter and cannot be removed`);
      }
      voters.delete(node);
      learners.delete(node);
      break;
  }
  return { voters: sortedIds(voters), learners: sortedIds(learners) };
}

// Binary layout of a configuration entry (all integers big-endian):
//   u8 format version (1) | u8 change kind | string node | bytes context | u16 n, n × string voters |
//   u16 m, m × string learners
// where string = u16 byte length + UTF-8 bytes and bytes = u32 length + bytes.
const formatVersion = 1;
const kindCodes: Record<ConfChangeKind, number> = { addVoter: 1, addLearner: 2, removeNode: 3 };
const kindsByCode: readonly (ConfChangeKind | undefined)[] = [
  undefined,
  'addVoter',
  'addLearner',
  'removeNode',
];
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function encodeConfChangeEntry(entry: ConfChangeEntry): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(2);
  header[0] = formatVersion;
  header[1] = kindCodes[entry.change.kind];
  parts.push(header);
  const pushString = (value: string): void => {
    const bytes = textEncoder.encode(value);
    if (bytes.byteLength > 0xffff) throw new ConfChangeRejectedError('a node id is longer than 65535 bytes');
    parts.push(u16(bytes.byteLength), bytes);
  };
  pushString(entry.change.node);
  const context = entry.change.context ?? new Uint8Array(0);
  parts.push(u32(context.byteLength), context);
  for (const list of [entry.confState.voters, entry.confState.learners]) {
    if (list.length > 0xffff)
      throw new ConfChangeRejectedError('a configuration lists more than 65535 nodes');
    parts.push(u16(list.length));
    for (const id of list) pushString(id);
  }
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export function decodeConfChangeEntry(data: Uint8Array): ConfChangeEntry {
  const reader = new ByteReader(data);
  const version = reader.u8();
  if (version !== formatVersion) {
    throw new RaftInvariantError(`configuration entry has unknown format version ${version}`);
  }
  const kind = kindsByCode[reader.u8()];
  if (kind === undefined) throw new RaftInvariantError('configuration entry has an unknown change kind');
  const node = reader.string();
  const context = reader.bytes();
  const voters = reader.stringList();
  const learners = reader.stringList();
  if (!reader.atEnd()) throw new RaftInvariantError('configuration entry has trailing bytes');
  const change: ConfChange = context.byteLength > 0 ? { kind, node, context } : { kind, node };
  return { change, confState: { voters, learners } };
}

function u16(value: number): Uint8Array {
  return new Uint8Array([value >>> 8, value & 0xff]);
}

function u32(value: number): Uint8Array {
  return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  private take(length: number): Uint8Array {
    if (this.offset + length > this.data.byteLength) {
      throw new RaftInvariantError('configuration entry is truncated');
    }
    const slice = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  u8(): number {
    return this.take(1)[0] as number;
  }

  u16(): number {
    const bytes = this.take(2);
    return ((bytes[0] as number) << 8) | (bytes[1] as number);
  }

  u32(): number {
    const bytes = this.take(4);
    return (
      (bytes[0] as number) * 0x100_0000 +
      (((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number))
    );
  }

  string(): string {
    return textDecoder.decode(this.take(this.u16()));
  }

  bytes(): Uint8Array {
    return this.take(this.u32()).slice();
  }

  stringList(): string[] {
    const count = this.u16();
    const list: string[] = [];
    for (let i = 0; i < count; i++) list.push(this.string());
    return list;
  }

  atEnd(): boolean {
    return this.offset === this.data.byteLength;
  }
}
