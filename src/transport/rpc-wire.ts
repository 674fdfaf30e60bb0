// Frames of the cluster-service RPC connection (first byte ConnectionKind.rpc). Each frame's payload is
// a format-version byte, then a MessagePack array:
//
//   request   [1, id, method, payload]       client -> server
//   success   [2, id, payload]               server -> client
//   failure   [3, id, code, message]         server -> client
//
// Request ids let many calls share one connection and be answered in any order. Payloads are decoded
// with 64-bit integer support, so bigint values (forwarded SQL parameters and results) stay exact, and
// Uint8Array values travel as raw bytes.

import { Decoder, Encoder } from '@msgpack/msgpack';

import { ProtocolError, RpcPayloadError } from './errors.js';

export const rpcFormatVersion = 1;

/** Method names are short identifiers such as "join" or "execute". */
export const methodBytesMax = 256;

const encoderOptions = { useBigInt64: true } as const;

/** After a payload larger than this the encoder is replaced, so its grown buffer is not kept for good. */
const encoderRetainedBytesMax = 1024 * 1024;

export const RpcFrameType = { request: 1, success: 2, failure: 3 } as const;

export type RpcFrame =
  | { readonly type: 'request'; readonly id: number; readonly method: string; readonly payload: unknown }
  | { readonly type: 'success'; readonly id: number; readonly payload: unknown }
  | { readonly type: 'failure'; readonly id: number; readonly code: string; readonly message: string };

/** Encodes and decodes RPC frames with limits derived from the frame size. */
export class RpcCodec {
  private encoder = new Encoder(encoderOptions);
  private readonly decoder: Decoder;

  constructor(readonly frameBytesMax: number) {
    // Every element takes at least one byte, so no honest frame declares more elements than it has bytes.
    this.decoder = new Decoder({
      useBigInt64: true,
      maxArrayLength: frameBytesMax,
      maxMapLength: frameBytesMax,
    });
  }

  encode(frame: RpcFrame): Uint8Array {
    let wire: unknown[];
    switch (frame.type) {
      case 'request':
        wire = [RpcFrameType.request, frame.id, frame.method, frame.payload];
        break;
      case 'success':
        wire = [RpcFrameType.success, frame.id, frame.payload];
        break;
      case 'failure':
        wire = [RpcFrameType.failure, frame.id, frame.code, frame.message];
        break;
    }
    let body: Uint8Array;
    try {
      body = this.encoder.encodeSharedRef(wire);
    } catch (error) {
      throw new RpcPayloadError(
        `the payload cannot be encoded: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (body.byteLength + 1 > this.frameBytesMax) {
      this.encoder = new Encoder(encoderOptions);
      throw new RpcPayloadError(
        `the payload takes ${body.byteLength + 1} bytes, more than the ${this.frameBytesMax} a frame may hold`,
      );
    }
    const out = new Uint8Array(body.byteLength + 1);
    out[0] = rpcFormatVersion;
    out.set(body, 1);
    if (body.byteLength > encoderRetainedBytesMax) this.encoder = new Encoder(encoderOptions);
    return out;
  }

  decode(bytes: Uint8Array): RpcFrame {
    if (bytes[0] !== rpcFormatVersion) {
      throw new ProtocolError(
        `RPC format version ${bytes[0] ?? 'none'} is not ${rpcFormatVersion}, the one this node speaks; ` +
          'run the same version of Dust on every node',
      );
    }
    let wire: unknown;
    try {
      wire = this.decoder.decode(bytes.subarray(1));
    } catch (error) {
      throw new ProtocolError(
        `an RPC frame is not valid MessagePack (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (!Array.isArray(wire)) throw new ProtocolError('an RPC frame must be an array');
    const [type, id] = wire as unknown[];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new ProtocolError('an RPC frame needs a non-negative integer id');
    }
    if (type === RpcFrameType.request && wire.length === 4) {
      const method: unknown = wire[2];
      if (typeof method !== 'string' || method === '' || method.length > methodBytesMax) {
        throw new ProtocolError(`an RPC method must be a name of 1 to ${methodBytesMax} characters`);
      }
      return { type: 'request', id, method, payload: wire[3] };
    }
    if (type === RpcFrameType.success && wire.length === 3) return { type: 'success', id, payload: wire[2] };
    if (type === RpcFrameType.failure && wire.length === 4) {
      const code: unknown = wire[2];
      const message: unknown = wire[3];
      if (typeof code !== 'string' || typeof message !== 'string') {
        throw new ProtocolError('an RPC failure needs a code and a message');
      }
      return { type: 'failure', id, code, message };
    }
    throw new ProtocolError(`unknown RPC frame type ${String(type)} with ${wire.length} fields`);
  }
}
