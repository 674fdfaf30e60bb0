import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';

import type { Message } from '../../src/raft/messages.js';
import { decodeMessage, encodeMessage, messageFormatVersion } from '../../src/transport/codec.js';
import { MessageDecodeError } from '../../src/transport/errors.js';
import { append, messageArbitrary, oneOfEachType } from './messages.js';

/** The wire bytes of an arbitrary MessagePack value, with the current format version in front. */
function wireOf(value: unknown): Uint8Array {
  const body = encode(value);
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = messageFormatVersion;
  out.set(body, 1);
  return out;
}

function assertDecodeError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeMessage(bytes),
    (error: unknown) =>
      error instanceof MessageDecodeError && error.code === 'MESSAGE_DECODE' && pattern.test(error.message),
  );
}

describe('message codec', () => {
  it('round-trips one message of every type', () => {
    for (const message of oneOfEachType('node-1', 'node-2')) {
      assert.deepEqual(decodeMessage(encodeMessage(message)), message);
    }
  });

  it('round-trips any valid message (property)', () => {
    fc.assert(
      fc.property(messageArbitrary, (message: Message) => {
        assert.deepEqual(decodeMessage(encodeMessage(message)), message);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns entry data as copies, not views of the received bytes', () => {
    const bytes = encodeMessage(append('a', 'b', 0, 2, 16));
    const decoded = decodeMessage(bytes);
    assert.equal(decoded.type, 'append');
    if (decoded.type !== 'append') return;
    const first = decoded.entries[0]!.data;
    assert.notEqual(first.buffer, bytes.buffer);
    assert.equal(first.byteOffset, 0);
    assert.equal(first.buffer.byteLength, 16);
  });

  it('keeps a heartbeat small', () => {
    const bytes = encodeMessage({ type: 'heartbeat', from: '1', to: '2', term: 12, commit: 1000, round: 99 });
    assert.ok(bytes.byteLength <= 16, `a heartbeat takes ${bytes.byteLength} bytes`);
  });

  it('refuses another format version', () => {
    const bytes = encodeMessage(oneOfEachType('a', 'b')[2]!);
    bytes[0] = messageFormatVersion + 1;
    assertDecodeError(bytes, /format version 2 is not 1/);
    assertDecodeError(new Uint8Array(0), /empty/);
  });

  it('refuses malformed fields with a precise reason', () => {
    assertDecodeError(wireOf({ type: 'heartbeat' }), /not valid MessagePack.*map/);
    assertDecodeError(wireOf('heartbeat'), /must be an array/);
    assertDecodeError(wireOf([99, 'a', 'b', 1]), /unknown message type code 99/);
    assertDecodeError(wireOf([3, '', 'b', 1, 0, 0]), /from must be a non-empty string/);
    assertDecodeError(wireOf([3, 'a', 'b', -1, 0, 0]), /term must be a non-negative integer/);
    assertDecodeError(wireOf([3, 'a', 'b', 1.5, 0, 0]), /term must be a non-negative integer/);
    assertDecodeError(wireOf([3, 'a', 'b', 1, 0]), /field round is missing/);
    assertDecodeError(wireOf([3, 'a', 'b', 1, 0, 0, 'extra']), /1 unexpected fields/);
    assertDecodeError(wireOf([6, 'a', 'b', 1, 'yes']), /reject must be a boolean/);
    assertDecodeError(wireOf([3, 'a'.repeat(2000), 'b', 1, 0, 0]), /not valid MessagePack/);
    assertDecodeError(wireOf([9, 'a', 'b', 1, 5, 1, ['a', 'b'], ['b']]), /appears twice/);
    assertDecodeError(Uint8Array.of(messageFormatVersion, 0xc1), /not valid MessagePack/);
  });

  it('refuses entries that break the log structure the core relies on', () => {
    const entry = (index: number, term: number, data: unknown = new Uint8Array(1)): unknown[] => [
      index,
      term,
      0,
      data,
    ];
    // [code, from, to, term, prevIndex, prevTerm, commit, entries]
    assertDecodeError(
      wireOf([1, 'a', 'b', 3, 10, 2, 0, [entry(12, 2)]]),
      /entry 0 has index 12, expected 11/,
    );
    assertDecodeError(wireOf([1, 'a', 'b', 3, 10, 2, 0, [entry(11, 2), entry(13, 2)]]), /expected 12/);
    assertDecodeError(wireOf([1, 'a', 'b', 3, 10, 2, 0, [entry(11, 1)]]), /terms must not decrease/);
    assertDecodeError(wireOf([1, 'a', 'b', 3, 10, 2, 0, [entry(11, 4)]]), /nor exceed the message's term/);
    assertDecodeError(wireOf([1, 'a', 'b', 3, 10, 2, 0, [entry(11, 3, 'text')]]), /data must be binary/);
    assertDecodeError(wireOf([1, 'a', 'b', 3, 10, 2, 0, [[11, 3, 7, new Uint8Array(1)]]]), /unknown type/);
    assertDecodeError(wireOf([1, 'a', 'b', 3, 10, 2, 0, [[11, 3]]]), /array of 4 fields/);
  });

  it('turns any byte string into a message or a MessageDecodeError, never another failure (property)', () => {
    const valid = encodeMessage(append('a', 'b', 5, 3, 20));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((body) => Uint8Array.of(messageFormatVersion, ...body)),
          // Single-byte corruptions and truncations of a valid message.
          fc
            .tuple(fc.nat({ max: valid.byteLength - 1 }), fc.integer({ min: 0, max: 255 }))
            .map(([at, value]) => {
              const copy = new Uint8Array(valid);
              copy[at] = value;
              return copy;
            }),
          fc.nat({ max: valid.byteLength }).map((length) => valid.subarray(0, length)),
        ),
        (bytes) => {
          try {
            decodeMessage(bytes);
          } catch (error) {
            assert.ok(error instanceof MessageDecodeError, `unexpected ${String(error)}`);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
