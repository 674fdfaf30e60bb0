// Length-prefixed frames: a big-endian u32 payload length, then the payload. TCP delivers a byte stream in
// chunks of any size, so the decoder reassembles frames across arbitrary chunk boundaries. The length is
// checked against a limit before any of the payload is buffered, so a peer cannot make a node allocate
// more than the limit by announcing a huge frame.

import { FrameTooLargeError, TransportConfigError } from './errors.js';

export const frameHeaderBytes = 4;

/** The largest length a u32 header can carry. */
export const frameBytesLimit = 0xffff_ffff;

export function assertFrameBytesMax(frameBytesMax: number): void {
  if (!Number.isSafeInteger(frameBytesMax) || frameBytesMax < 1 || frameBytesMax > frameBytesLimit) {
    throw new TransportConfigError(
      `frameBytesMax must be an integer from 1 to ${frameBytesLimit}, got ${frameBytesMax}`,
    );
  }
}

/** The 4-byte header announcing a payload of `payloadBytes`. */
export function frameHeader(payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(frameHeaderBytes);
  header.writeUInt32BE(payloadBytes, 0);
  return header;
}

/**
 * Frames every payload into one buffer, so that a batch goes to the socket in a single write.
 * `payloadBytes` is the sum of the payloads' lengths when the caller already knows it.
 */
export function encodeFrames(payloads: readonly Uint8Array[], payloadBytes?: number): Buffer {
  let total = 0;
  if (payloadBytes === undefined) {
    for (const payload of payloads) total += payload.byteLength;
  } else {
    total = payloadBytes;
  }
  const out = Buffer.allocUnsafe(total + payloads.length * frameHeaderBytes);
  let offset = 0;
  for (const payload of payloads) {
    out.writeUInt32BE(payload.byteLength, offset);
    out.set(payload, offset + frameHeaderBytes);
    offset += frameHeaderBytes + payload.byteLength;
  }
  if (offset !== out.byteLength) {
    throw new Error(`encodeFrames: payloads hold ${offset} bytes with headers, expected ${out.byteLength}`);
  }
  return out;
}

/**
 * Reassembles frames from chunks. A frame that lies within one chunk is returned as a view of that chunk
 * (no copy); one that spans chunks is copied once into a buffer of its own. After a FrameTooLargeError the
 * stream has lost its framing, and every later `push` throws the same error.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of `chunks[0]` already consumed. */
  private firstOffset = 0;
  private buffered = 0;
  /** The payload length of the frame being assembled, once its header has been read. */
  private expected: number | undefined;
  private failure: FrameTooLargeError | undefined;

  constructor(readonly frameBytesMax: number) {
    assertFrameBytesMax(frameBytesMax);
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== undefined) throw this.failure;
    const frames: Uint8Array[] = [];
    if (chunk.byteLength === 0) return frames;
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    for (;;) {
      if (this.expected === undefined) {
        if (this.buffered < frameHeaderBytes) break;
        const header = this.take(frameHeaderBytes);
        const length = new DataView(header.buffer, header.byteOffset, frameHeaderBytes).getUint32(0);
        if (length > this.frameBytesMax) {
          this.failure = new FrameTooLargeError(length, this.frameBytesMax);
          this.chunks.length = 0;
          this.buffered = 0;
          throw this.failure;
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = undefined;
    }
    return frames;
  }

  /** Removes `length` bytes from the front of the buffered chunks; the caller checked that they are there. */
  private take(length: number): Uint8Array {
    this.buffered -= length;
    const first = this.chunks[0];
    if (length === 0) return new Uint8Array(0);
    if (first === undefined) throw new Error('FrameDecoder.take: no buffered chunk');
    const available = first.byteLength - this.firstOffset;
    if (available >= length) {
      const view = first.subarray(this.firstOffset, this.firstOffset + length);
      this.firstOffset += length;
      if (this.firstOffset === first.byteLength) {
        this.chunks.shift();
        this.firstOffset = 0;
      }
      return view;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new Error('FrameDecoder.take: buffered byte count is wrong');
      const count = Math.min(chunk.byteLength - this.firstOffset, length - filled);
      out.set(chunk.subarray(this.firstOffset, this.firstOffset + count), filled);
      filled += count;
      this.firstOffset += count;
      if (this.firstOffset === chunk.byteLength) {
        this.chunks.shift();
        this.firstOffset = 0;
      }
    }
    return out;
  }
}
