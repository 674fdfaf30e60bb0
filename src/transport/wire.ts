// The connection protocol on the Raft port, above framing (see DESIGN.md for the whole picture).
//
// The dialer's first byte names the kind of connection (Raft messages, cluster RPCs or a snapshot stream).
// Every frame after it starts with a frame-kind byte. Raft and snapshot connections open with a hello that
// carries the protocol version and both node ids, so a receiver knows who is talking and can refuse a
// peer that speaks another version or that meant to reach another node.

import { Decoder, Encoder } from '@msgpack/msgpack';

import type { NodeId } from '../raft/types.js';
import { nodeIdBytesMax } from './codec.js';
import { ProtocolError } from './errors.js';
import { frameHeaderBytes } from './framing.js';

/** The first byte a dialer sends. */
export const ConnectionKind = { raft: 0x01, rpc: 0x02, snapshot: 0x03 } as const;
export type ConnectionKind = (typeof ConnectionKind)[keyof typeof ConnectionKind];

export function isConnectionKind(byte: number): byte is ConnectionKind {
  return byte === ConnectionKind.raft || byte === ConnectionKind.rpc || byte === ConnectionKind.snapshot;
}

/** Bumped when the connection protocol changes; both ends of a connection must speak the same one. */
export const protocolVersion = 1;

/** The first byte of every frame's payload on Raft and snapshot connections. */
export const FrameKind = {
  /** dialer -> receiver, first frame: [version byte][msgpack [from, to]] */
  hello: 0x01,
  /** receiver -> dialer, the hello was accepted: [version byte][msgpack [id]] */
  welcome: 0x02,
  /** receiver -> dialer, the hello was refused, the connection closes: [msgpack [reason]] */
  refusal: 0x03,
  /** dialer -> receiver, proves the connection is alive: no body */
  ping: 0x04,
  /** receiver -> dialer, the answer to a ping: no body */
  pong: 0x05,
  /** dialer -> receiver: one Raft message in the codec's format */
  message: 0x06,
  /** snapshot dialer -> receiver: the InstallSnapshot message, in the codec's format, before the data */
  snapshotHeader: 0x07,
  /** snapshot dialer -> receiver: raw snapshot bytes */
  snapshotChunk: 0x08,
  /** snapshot dialer -> receiver, after the last chunk: [msgpack [totalBytes, sha256 digest]] */
  snapshotEnd: 0x09,
  /** snapshot receiver -> dialer, the outcome: [msgpack [code, message]]; code '' means stored */
  snapshotResult: 0x0a,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const encoder = new Encoder();
const decoder = new Decoder({
  maxStrLength: 64 * 1024,
  maxBinLength: 64,
  maxArrayLength: 8,
  maxMapLength: 0,
  maxExtLength: 0,
});

export function frameKindOf(payload: Uint8Array): number {
  const kind = payload[0];
  if (kind === undefined) throw new ProtocolError('received an empty frame');
  return kind;
}

function withKind(kind: FrameKind, body: Uint8Array | undefined, prefix?: number): Uint8Array {
  const prefixBytes = prefix === undefined ? 0 : 1;
  const out = new Uint8Array(1 + prefixBytes + (body?.byteLength ?? 0));
  out[0] = kind;
  if (prefix !== undefined) out[1] = prefix;
  if (body !== undefined) out.set(body, 1 + prefixBytes);
  return out;
}

function decodeBody(payload: Uint8Array, offset: number, what: string): unknown[] {
  let value: unknown;
  try {
    value = decoder.decode(payload.subarray(offset));
  } catch (error) {
    throw new ProtocolError(
      `${what} is not valid MessagePack (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!Array.isArray(value)) throw new ProtocolError(`${what} must be an array`);
  return value;
}

function nodeIdField(value: unknown, what: string): NodeId {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > nodeIdBytesMax) {
    throw new ProtocolError(`${what} must be a node id of 1 to ${nodeIdBytesMax} bytes`);
  }
  return value;
}

function checkVersion(payload: Uint8Array, what: string): void {
  const version = payload[1];
  if (version !== protocolVersion) {
    throw new ProtocolError(
      `${what} speaks transport protocol ${version ?? 'none'}, this node speaks ${protocolVersion}; ` +
        'run the same version of Dust on every node',
    );
  }
}

export interface Hello {
  readonly from: NodeId;
  readonly to: NodeId;
}

export function encodeHello(hello: Hello): Uint8Array {
  return withKind(FrameKind.hello, encoder.encode([hello.from, hello.to]), protocolVersion);
}

export function decodeHello(payload: Uint8Array): Hello {
  if (frameKindOf(payload) !== FrameKind.hello) throw new ProtocolError('the first frame must be a hello');
  checkVersion(payload, 'the peer');
  const [from, to, ...rest] = decodeBody(payload, 2, 'the hello');
  if (rest.length > 0) throw new ProtocolError('the hello has unexpected fields');
  return { from: nodeIdField(from, 'the hello sender'), to: nodeIdField(to, 'the hello recipient') };
}

export function encodeWelcome(id: NodeId): Uint8Array {
  return withKind(FrameKind.welcome, encoder.encode([id]), protocolVersion);
}

/** The id the receiver reports in its welcome. */
export function decodeWelcome(payload: Uint8Array): NodeId {
  checkVersion(payload, 'the peer');
  const [id, ...rest] = decodeBody(payload, 2, 'the welcome');
  if (rest.length > 0) throw new ProtocolError('the welcome has unexpected fields');
  return nodeIdField(id, 'the welcome');
}

export function encodeRefusal(reason: string): Uint8Array {
  return withKind(FrameKind.refusal, encoder.encode([reason]));
}

export function decodeRefusal(payload: Uint8Array): string {
  const [reason] = decodeBody(payload, 1, 'the refusal');
  return typeof reason === 'string' ? reason : 'no reason given';
}

export const pingFrame: Uint8Array = Uint8Array.of(FrameKind.ping);
export const pongFrame: Uint8Array = Uint8Array.of(FrameKind.pong);

/** The frames of a batch of encoded messages, in one buffer for one write. */
export function encodeMessageFrames(messages: readonly Uint8Array[], messageBytes: number): Buffer {
  const out = Buffer.allocUnsafe(messageBytes + messages.length * (frameHeaderBytes + 1));
  let offset = 0;
  for (const message of messages) {
    out.writeUInt32BE(message.byteLength + 1, offset);
    out[offset + frameHeaderBytes] = FrameKind.message;
    out.set(message, offset + frameHeaderBytes + 1);
    offset += frameHeaderBytes + 1 + message.byteLength;
  }
  if (offset !== out.byteLength) {
    throw new Error(`encodeMessageFrames: messages hold ${offset} framed bytes, expected ${out.byteLength}`);
  }
  return out;
}

export function encodeSnapshotHeader(encodedMessage: Uint8Array): Uint8Array {
  return withKind(FrameKind.snapshotHeader, encodedMessage);
}

export interface SnapshotEnd {
  readonly totalBytes: number;
  readonly digest: Uint8Array;
}

export function encodeSnapshotEnd(end: SnapshotEnd): Uint8Array {
  return withKind(FrameKind.snapshotEnd, encoder.encode([end.totalBytes, end.digest]));
}

export function decodeSnapshotEnd(payload: Uint8Array): SnapshotEnd {
  const [totalBytes, digest, ...rest] = decodeBody(payload, 1, 'the snapshot trailer');
  if (
    rest.length > 0 ||
    typeof totalBytes !== 'number' ||
    !Number.isSafeInteger(totalBytes) ||
    totalBytes < 0 ||
    !(digest instanceof Uint8Array)
  ) {
    throw new ProtocolError('the snapshot trailer must hold a byte count and a digest');
  }
  return { totalBytes, digest: new Uint8Array(digest) };
}

/** The outcome of a snapshot transfer as the receiver reports it; `code` is '' on success. */
export interface SnapshotResult {
  readonly code: string;
  readonly message: string;
}

export function encodeSnapshotResult(result: SnapshotResult): Uint8Array {
  return withKind(FrameKind.snapshotResult, encoder.encode([result.code, result.message]));
}

export function decodeSnapshotResult(payload: Uint8Array): SnapshotResult {
  const [code, message] = decodeBody(payload, 1, 'the snapshot result');
  if (typeof code !== 'string' || typeof message !== 'string') {
    throw new ProtocolError('the snapshot result must hold a code and a message');
  }
  return { code, message };
}
