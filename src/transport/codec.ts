// The wire form of Raft messages: one format-version byte, then a MessagePack array
// `[typeCode, from, to, term, ...fields of that type]`. Positional arrays keep heartbeats a few bytes
// long, and entries' payloads travel as MessagePack binary, byte for byte.
//
// Decoding trusts nothing: a peer may run another version of Dust, or the bytes may be garbage. Every
// field is checked for type and range, and the structural rules that the consensus core relies on
// (entries numbered consecutively after prevIndex, terms that never decrease) are checked here, so that
// bad input becomes a MessageDecodeError and never an assertion failure inside the core.

import { Decoder, Encoder } from '@msgpack/msgpack';

import type { Message, MessageOf, MessageType } from '../raft/messages.js';
import type { ConfState, Entry, EntryType, NodeId, SnapshotMetadata } from '../raft/types.js';
import { MessageDecodeError } from './errors.js';

/** Bumped whenever the encoding of any message changes; a peer with another version is refused. */
export const messageFormatVersion = 1;

/** Node ids are names such as "1" or "node-a:4002"; anything longer than this is not one. */
export const nodeIdBytesMax = 1024;

/** More entries than this in one message is not something a well-behaved leader sends. */
export const entriesPerMessageMax = 1_000_000;

/** Members of one configuration. */
export const configurationMembersMax = 10_000;

/**
 * The encoder grows its buffer to the largest message it has encoded and keeps it; after a message larger
 * than this it is replaced, so that one big append does not pin its size in memory for the node's life.
 */
const encoderRetainedBytesMax = 1024 * 1024;

const encoderOptions = { initialBufferSize: 4096 } as const;
let encoder = new Encoder(encoderOptions);

const decoder = new Decoder({
  // Node ids are the only strings in a message.
  maxStrLength: nodeIdBytesMax,
  maxArrayLength: entriesPerMessageMax,
  maxMapLength: 0,
  maxExtLength: 0,
});

const entryTypeCodes: { readonly [T in EntryType]: number } = { normal: 0, confChange: 1, noop: 2 };
const entryTypesByCode: readonly EntryType[] = ['normal', 'confChange', 'noop'];

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Reads the fields of one message in order, checking each; `finish` refuses fields left over. */
class FieldReader {
  private position = 0;

  constructor(private readonly fields: readonly unknown[]) {}

  private next(name: string): unknown {
    if (this.position >= this.fields.length) throw new MessageDecodeError(`field ${name} is missing`);
    return this.fields[this.position++];
  }

  /** An index or a term: a non-negative safe integer. */
  count(name: string): number {
    return checkCount(this.next(name), name);
  }

  boolean(name: string): boolean {
    const value = this.next(name);
    if (typeof value !== 'boolean') throw new MessageDecodeError(`${name} must be a boolean`);
    return value;
  }

  nodeId(name: string): NodeId {
    return checkNodeId(this.next(name), name);
  }

  array(name: string): readonly unknown[] {
    const value = this.next(name);
    if (!Array.isArray(value)) throw new MessageDecodeError(`${name} must be an array`);
    return value;
  }

  finish(type: MessageType): void {
    if (this.position !== this.fields.length) {
      throw new MessageDecodeError(
        `a ${type} message has ${this.fields.length - this.position} unexpected fields`,
      );
    }
  }
}

function checkCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MessageDecodeError(`${name} must be a non-negative integer`);
  }
  return value;
}

function checkNodeId(value: unknown, name: string): NodeId {
  // The decoder already refused strings longer than nodeIdBytesMax.
  if (typeof value !== 'string' || value === '')
    throw new MessageDecodeError(`${name} must be a non-empty string`);
  return value;
}

interface MessageCodec<T extends MessageType> {
  readonly code: number;
  /** The fields after the envelope, in wire order. */
  readonly encode: (message: MessageOf<T>) => unknown[];
  readonly decode: (fields: FieldReader, envelope: Envelope) => MessageOf<T>;
}

type MessageCodecs = { readonly [T in MessageType]: MessageCodec<T> };

// One entry per message type: a new type without a codec does not compile.
const codecs: MessageCodecs = {
  append: {
    code: 1,
    encode: (m) => [m.prevIndex, m.prevTerm, m.commit, m.entries.map(encodeEntry)],
    decode: (fields, envelope) => {
      const prevIndex = fields.count('prevIndex');
      const prevTerm = fields.count('prevTerm');
      const commit = fields.count('commit');
      const entries = decodeEntries(fields.array('entries'), prevIndex, prevTerm, envelope.term);
      return { type: 'append', ...envelope, prevIndex, prevTerm, commit, entries };
    },
  },
  appendResponse: {
    code: 2,
    encode: (m) => [m.reject, m.index, m.rejectHintIndex, m.rejectHintTerm],
    decode: (fields, envelope) => ({
      type: 'appendResponse',
      ...envelope,
      reject: fields.boolean('reject'),
      index: fields.count('index'),
      rejectHintIndex: fields.count('rejectHintIndex'),
      rejectHintTerm: fields.count('rejectHintTerm'),
    }),
  },
  heartbeat: {
    code: 3,
    encode: (m) => [m.commit, m.round],
    decode: (fields, envelope) => ({
      type: 'heartbeat',
      ...envelope,
      commit: fields.count('commit'),
      round: fields.count('round'),
    }),
  },
  heartbeatResponse: {
    code: 4,
    encode: (m) => [m.round],
    decode: (fields, envelope) => ({ type: 'heartbeatResponse', ...envelope, round: fields.count('round') }),
  },
  vote: {
    code: 5,
    encode: (m) => [m.lastIndex, m.lastTerm, m.transfer],
    decode: (fields, envelope) => ({
      type: 'vote',
      ...envelope,
      lastIndex: fields.count('lastIndex'),
      lastTerm: fields.count('lastTerm'),
      transfer: fields.boolean('transfer'),
    }),
  },
  voteResponse: {
    code: 6,
    encode: (m) => [m.reject],
    decode: (fields, envelope) => ({ type: 'voteResponse', ...envelope, reject: fields.boolean('reject') }),
  },
  preVote: {
    code: 7,
    encode: (m) => [m.lastIndex, m.lastTerm],
    decode: (fields, envelope) => ({
      type: 'preVote',
      ...envelope,
      lastIndex: fields.count('lastIndex'),
      lastTerm: fields.count('lastTerm'),
    }),
  },
  preVoteResponse: {
    code: 8,
    encode: (m) => [m.reject],
    decode: (fields, envelope) => ({
      type: 'preVoteResponse',
      ...envelope,
      reject: fields.boolean('reject'),
    }),
  },
  installSnapshot: {
    code: 9,
    encode: (m) => [
      m.snapshot.index,
      m.snapshot.term,
      m.snapshot.confState.voters,
      m.snapshot.confState.learners,
    ],
    decode: (fields, envelope) => {
      const index = fields.count('snapshot.index');
      const term = fields.count('snapshot.term');
      const confState = decodeConfState(fields.array('voters'), fields.array('learners'));
      const snapshot: SnapshotMetadata = { index, term, confState };
      return { type: 'installSnapshot', ...envelope, snapshot };
    },
  },
  timeoutNow: {
    code: 10,
    encode: () => [],
    decode: (_fields, envelope) => ({ type: 'timeoutNow', ...envelope }),
  },
};

const typesByCode = new Map<number, MessageType>(
  (Object.keys(codecs) as MessageType[]).map((type) => [codecs[type].code, type]),
);

function encodeEntry(entry: Entry): unknown[] {
  return [entry.index, entry.term, entryTypeCodes[entry.type], entry.data];
}

function decodeEntries(
  wire: readonly unknown[],
  prevIndex: number,
  prevTerm: number,
  messageTerm: number,
): Entry[] {
  const entries: Entry[] = new Array<Entry>(wire.length);
  let lastTerm = prevTerm;
  for (let i = 0; i < wire.length; i++) {
    const item = wire[i];
    if (!Array.isArray(item) || item.length !== 4) {
      throw new MessageDecodeError(`entry ${i} must be an array of 4 fields`);
    }
    const [indexField, termField, typeField, dataField] = item as [unknown, unknown, unknown, unknown];
    const index = checkCount(indexField, `entries[${i}].index`);
    const term = checkCount(termField, `entries[${i}].term`);
    if (index !== prevIndex + 1 + i) {
      throw new MessageDecodeError(`entry ${i} has index ${index}, expected ${prevIndex + 1 + i}`);
    }
    if (term < lastTerm || term > messageTerm) {
      throw new MessageDecodeError(
        `entry ${index} has term ${term}: terms must not decrease along the log nor exceed the message's term`,
      );
    }
    lastTerm = term;
    const type = typeof typeField === 'number' ? entryTypesByCode[typeField] : undefined;
    if (type === undefined) throw new MessageDecodeError(`entry ${index} has an unknown type`);
    if (!(dataField instanceof Uint8Array))
      throw new MessageDecodeError(`entry ${index} data must be binary`);
    // A copy, not a view: a view would keep the whole received chunk alive for as long as the entry
    // lives in caches, and size limits count only the entry's own bytes.
    entries[i] = { index, term, type, data: new Uint8Array(dataField) };
  }
  return entries;
}

function decodeConfState(votersWire: readonly unknown[], learnersWire: readonly unknown[]): ConfState {
  if (votersWire.length + learnersWire.length > configurationMembersMax) {
    throw new MessageDecodeError(`a configuration has more than ${configurationMembersMax} members`);
  }
  const seen = new Set<NodeId>();
  const read = (wire: readonly unknown[], name: string): NodeId[] =>
    wire.map((item, i) => {
      const id = checkNodeId(item, `${name}[${i}]`);
      if (seen.has(id))
        throw new MessageDecodeError(`node ${id} appears twice in the snapshot's configuration`);
      seen.add(id);
      return id;
    });
  return { voters: read(votersWire, 'voters'), learners: read(learnersWire, 'learners') };
}

/** The wire bytes of `message`: the format version, then the MessagePack array. */
export function encodeMessage(message: Message): Uint8Array {
  const codec = codecs[message.type] as MessageCodec<MessageType>;
  const body = encoder.encodeSharedRef([
    codec.code,
    message.from,
    message.to,
    message.term,
    ...codec.encode(message),
  ]);
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = messageFormatVersion;
  out.set(body, 1);
  if (body.byteLength > encoderRetainedBytesMax) encoder = new Encoder(encoderOptions);
  return out;
}

/** Decodes and checks one message; throws MessageDecodeError for anything that is not a valid one. */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.byteLength === 0) throw new MessageDecodeError('the message is empty');
  if (bytes[0] !== messageFormatVersion) {
    throw new MessageDecodeError(
      `message format version ${bytes[0]} is not ${messageFormatVersion}, the one this node speaks; ` +
        'run the same version of Dust on every node',
    );
  }
  let wire: unknown;
  try {
    wire = decoder.decode(bytes.subarray(1));
  } catch (error) {
    throw new MessageDecodeError(
      `not valid MessagePack (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!Array.isArray(wire) || wire.length < 4) {
    throw new MessageDecodeError('a message must be an array of at least 4 fields');
  }
  const fields = new FieldReader(wire);
  const typeCode = fields.count('type');
  const type = typesByCode.get(typeCode);
  if (type === undefined) throw new MessageDecodeError(`unknown message type code ${typeCode}`);
  const envelope: Envelope = {
    from: fields.nodeId('from'),
    to: fields.nodeId('to'),
    term: fields.count('term'),
  };
  const codec = codecs[type] as MessageCodec<MessageType>;
  const message = codec.decode(fields, envelope);
  fields.finish(type);
  return message;
}
