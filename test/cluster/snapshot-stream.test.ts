import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemberRecordError } from '../../src/cluster/members.js';
import { splitMembersHeader, withMembersHeader } from '../../src/cluster/snapshot-stream.js';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

const members = { '1': { raftAddress: '127.0.0.1:4002', apiUrl: 'http://127.0.0.1:4001' } };

describe('snapshot streams with a member header', () => {
  it('split back into the members and the exact image, however the bytes are chunked', async () => {
    const image = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256);
    const whole = await collect(withMembersHeader(members, chunksOf(image, 4096)));
    for (const size of [1, 3, 4, 5, 64, 100_000]) {
      const split = await splitMembersHeader(chunksOf(whole, size));
      assert.deepEqual(Object.fromEntries(split.members), members, `chunks of ${size}`);
      assert.deepEqual(await collect(split.image), image, `chunks of ${size}`);
    }
  });

  it('refuse a stream that ends inside the header, or a header that is not JSON', async () => {
    const whole = await collect(withMembersHeader(members, chunksOf(new Uint8Array(10), 10)));
    await assert.rejects(splitMembersHeader(chunksOf(whole.subarray(0, 12), 5)), MemberRecordError);
    const bad = Buffer.concat([Uint8Array.of(0, 0, 0, 2), Buffer.from('{x')]);
    await assert.rejects(splitMembersHeader(chunksOf(bad, 6)), /not JSON/);
    const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
    await assert.rejects(splitMembersHeader(chunksOf(huge, 4)), /claims/);
  });
});
