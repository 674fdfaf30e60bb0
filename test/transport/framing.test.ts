import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { FrameTooLargeError, TransportConfigError } from '../../src/transport/errors.js';
import { encodeFrames, FrameDecoder, frameHeaderBytes } from '../../src/transport/framing.js';

/** Splits `bytes` at the given cut points (sorted, deduplicated, within range). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('framing', () => {
  it('writes a big-endian u32 length before each payload', () => {
    const framed = encodeFrames([Uint8Array.of(7, 8, 9), new Uint8Array(0), Uint8Array.of(1)]);
    assert.deepEqual([...framed], [0, 0, 0, 3, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it('reassembles frames from any chunking of the stream (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = encodeFrames(payloads);
          const decoder = new FrameDecoder(1000);
          const frames: Uint8Array[] = [];
          for (const chunk of split(stream, cuts)) frames.push(...decoder.push(chunk));
          assert.deepEqual(
            frames.map((frame) => [...frame]),
            payloads.map((payload) => [...payload]),
          );
          assert.equal(decoder.bufferedBytes, 0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('returns frames that survive later pushes (views never alias reused memory)', () => {
    const decoder = new FrameDecoder(100);
    const stream = encodeFrames([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)]);
    const first = decoder.push(stream.subarray(0, 9));
    const second = decoder.push(stream.subarray(9));
    assert.deepEqual([...first[0]!], [1, 2, 3]);
    assert.deepEqual([...second[0]!], [4, 5, 6]);
  });

  it('accepts a frame of exactly the limit and refuses one byte more, before buffering it', () => {
    const decoder = new FrameDecoder(8);
    assert.equal(decoder.push(encodeFrames([new Uint8Array(8)])).length, 1);
    const header = Buffer.alloc(frameHeaderBytes);
    header.writeUInt32BE(9);
    assert.throws(
      () => decoder.push(header),
      (error: unknown) =>
        error instanceof FrameTooLargeError && error.frameBytes === 9 && error.frameBytesMax === 8,
    );
    assert.equal(decoder.bufferedBytes, 0);
    // The framing is lost for good: later bytes are refused too.
    assert.throws(() => decoder.push(Uint8Array.of(1)), FrameTooLargeError);
  });

  it('refuses a limit a u32 cannot express', () => {
    assert.throws(() => new FrameDecoder(0), TransportConfigError);
    assert.throws(() => new FrameDecoder(2 ** 32), TransportConfigError);
  });
});
