// The bytes of a snapshot as they travel to a follower: a header with the member addresses (the follower
// may know none of them yet, and the configuration in the snapshot names members by id only), then the
// database image exactly as stored. The header is a 4-byte big-endian length and that much JSON.
import { type MemberAddresses, MemberRecordError, type MemberTable, parseMemberTable } from './members.js';

/** A header larger than this is refused: it holds a few addresses per member. */
const headerBytesMax = 4 * 1024 * 1024;

export async function* withMembersHeader(
  members: MemberTable,
  data: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const json = new TextEncoder().encode(JSON.stringify(members));
  const header = new Uint8Array(4 + json.byteLength);
  new DataView(header.buffer).setUint32(0, json.byteLength);
  header.set(json, 4);
  yield header;
  yield* data;
}

/**
 * Reads the header off `stream` and returns the members and the rest of the stream, which must be read to
 * its end (that is where the transport verifies the checksum).
 */
export async function splitMembersHeader(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ members: Map<string, MemberAddresses>; image: AsyncIterable<Uint8Array> }> {
  const iterator = stream[Symbol.asyncIterator]();
  let buffered = new Uint8Array(0);
  let headerBytes: number | undefined;
  for (;;) {
    if (headerBytes === undefined && buffered.byteLength >= 4) {
      headerBytes = new DataView(buffered.buffer, buffered.byteOffset, 4).getUint32(0);
      if (headerBytes > headerBytesMax) {
        throw new MemberRecordError(`a snapshot's member header claims ${headerBytes} bytes`);
      }
    }
    if (headerBytes !== undefined && buffered.byteLength >= 4 + headerBytes) break;
    const next = await iterator.next();
    if (next.done === true) throw new MemberRecordError('a snapshot stream ended inside its member header');
    const joined = new Uint8Array(buffered.byteLength + next.value.byteLength);
    joined.set(buffered);
    joined.set(next.value, buffered.byteLength);
    buffered = joined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(buffered.subarray(4, 4 + headerBytes)));
  } catch {
    throw new MemberRecordError("a snapshot's member header is not JSON");
  }
  const members = parseMemberTable(parsed, 'snapshot header');
  const leftover = buffered.subarray(4 + headerBytes);
  async function* image(): AsyncGenerator<Uint8Array> {
    if (leftover.byteLength > 0) yield leftover;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  return { members, image: image() };
}
