// CRC-32 (the IEEE polynomial used by zlib, gzip and PNG). Node has had a native `zlib.crc32` since 20.15; on older
// Node 20 releases a table-driven version computes the same values, so files stay readable across versions.
import zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, previous?: number) => number;

const table = buildTable();

function buildTable(): Uint32Array {
  const result = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    result[n] = c >>> 0;
  }
  return result;
}

/** CRC-32 in plain JavaScript; `previous` continues a running checksum exactly as zlib's second argument does. */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data`, continuing from `previous` (0 starts a new checksum). */
export const crc32: Crc32 =
  typeof native === 'function' ? (data, previous = 0) => native(data, previous) : crc32Portable;
