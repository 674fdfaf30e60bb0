import assert from 'node:assert/strict';
import { test } from 'node:test';

import { crc32, crc32Portable } from '../../src/log/crc.js';
import {
  decodeRecordBody,
  encodeRecord,
  frameChecksumMatches,
  frameHeaderProblem,
  readFrameHeader,
  recordBytes,
  type LogRecord,
} from '../../src/log/record.js';
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  segmentFileName,
} from '../../src/log/segment-file.js';
import { payload } from './helpers.js';

/** The problem description a decoder returned instead of a value. */
function problemOf(result: object | string): string {
  assert.equal(typeof result, 'string', `expected a problem, got ${JSON.stringify(result)}`);
  return result as string;
}

void test('CRC-32 matches the standard check value and the portable version matches the native one', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32Portable(check), 0xcbf43926);
  for (const size of [0, 1, 7, 100, 4099]) {
    const data = payload(size, 3, size);
    assert.equal(crc32Portable(data, 0x1234567), crc32(data, 0x1234567), `size ${size}`);
    // Continuing a checksum over two parts equals the checksum of the whole.
    const half = Math.floor(size / 2);
    assert.equal(crc32(data.subarray(half), crc32(data.subarray(0, half))), crc32(data));
  }
});

const samples: LogRecord[] = [
  { type: 'start', baseIndex: 10, baseTerm: 2, lastIndex: 2 ** 40 },
  { type: 'hardState', hardState: { term: 7, vote: 'node-ä', commit: 12 } },
  { type: 'hardState', hardState: { term: 0, vote: '', commit: 0 } },
  { type: 'entry', entry: { index: 2 ** 53 - 1, term: 5, kind: 255, data: payload(1, 1, 300) } },
  { type: 'entry', entry: { index: 1, term: 1, kind: 0, data: new Uint8Array(0) } },
  { type: 'truncate', fromIndex: 99 },
  { type: 'compact', index: 1000, term: 9 },
];

void test('every record type round-trips through its encoding', () => {
  for (const record of samples) {
    const size = recordBytes(record);
    const buffer = new Uint8Array(size + 8);
    assert.equal(encodeRecord(buffer, 8, record, { start: 8, end: 8 + size }, 0xdeadbeef), size);
    const frame = buffer.subarray(8);
    assert.ok(frameChecksumMatches(frame, 0xdeadbeef));
    const header = readFrameHeader(frame);
    assert.equal(header.frameBytes, size);
    assert.equal(frameHeaderProblem(header, 8, buffer.byteLength), undefined);
    const decoded = decodeRecordBody(frame);
    if (record.type === 'entry' && typeof decoded !== 'string' && decoded.type === 'entry') {
      assert.deepEqual(
        { ...decoded.entry, data: [...decoded.entry.data] },
        { ...record.entry, data: [...record.entry.data] },
      );
    } else {
      assert.deepEqual(decoded, record);
    }
  }
});

void test('a record verifies only with its own salt and without any changed byte', () => {
  const record = samples[3]!;
  const size = recordBytes(record);
  const frame = new Uint8Array(size);
  encodeRecord(frame, 0, record, { start: 0, end: size }, 42);
  assert.equal(frameChecksumMatches(frame, 43), false);
  for (const position of [0, 1, 5, 9, 13, 16, 17, 30, size - 1]) {
    const damaged = frame.slice();
    damaged[position]! ^= 0x10;
    assert.equal(frameChecksumMatches(damaged, 42), false, `flip at byte ${position}`);
  }
});

void test('frame header checks reject zero lengths, overlong records and records outside their write', () => {
  const zero = readFrameHeader(new Uint8Array(16));
  assert.match(frameHeaderProblem(zero, 100, 1000) ?? '', /length is zero/);
  const record = samples[5]!;
  const size = recordBytes(record);
  const frame = new Uint8Array(size);
  encodeRecord(frame, 0, record, { start: 50, end: 50 + size }, 1);
  const header = readFrameHeader(frame);
  assert.equal(frameHeaderProblem(header, 50, 50 + size), undefined);
  assert.match(frameHeaderProblem(header, 50, 50 + size - 1) ?? '', /past the end/);
  assert.match(frameHeaderProblem(header, 49, 1000) ?? '', /outside the write/);
});

void test('a verified record with an unknown type or nonzero reserved bytes is reported, not decoded', () => {
  const record = samples[5]!;
  const size = recordBytes(record);
  const frame = new Uint8Array(size);
  encodeRecord(frame, 0, record, { start: 0, end: size }, 1);
  const unknown = frame.slice();
  unknown[16] = 77;
  assert.match(problemOf(decodeRecordBody(unknown)), /unknown record type 77/);
  const reserved = frame.slice();
  reserved[18] = 1;
  assert.match(problemOf(decodeRecordBody(reserved)), /reserved byte/);
});

void test('segment names and headers round-trip; damaged headers are described', () => {
  assert.equal(segmentFileName(42), '0000000042.seg');
  assert.equal(parseSegmentFileName('0000000042.seg'), 42);
  assert.equal(parseSegmentFileName('0000000000.seg'), undefined);
  assert.equal(parseSegmentFileName('42.seg'), undefined);
  const header = encodeSegmentHeader({ sequence: 42, salt: 0xfeedface });
  assert.deepEqual(decodeSegmentHeader(header), { sequence: 42, salt: 0xfeedface });
  const damaged = header.slice();
  damaged[13]! ^= 1;
  assert.match(problemOf(decodeSegmentHeader(damaged)), /checksum/);
  assert.match(problemOf(decodeSegmentHeader(header.subarray(0, 10))), /shorter/);
  const foreign = header.slice();
  foreign[0] = 0;
  assert.match(problemOf(decodeSegmentHeader(foreign)), /magic/);
});
