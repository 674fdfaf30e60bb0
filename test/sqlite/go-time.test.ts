import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  TimeFormatError,
  civilFromDays,
  formatRfc3339Nano,
  parseDatetimeText,
  wallTimeFromUnix,
} from '../../src/sqlite/go-time.js';

const printed = (text: string): string => formatRfc3339Nano(parseDatetimeText(text));

void describe('parseDatetimeText + formatRfc3339Nano: text in a time column, as rqlite prints it', () => {
  const cases: [string, string][] = [
    ['2024-01-01 10:00:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01T10:00:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01 10:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01', '2024-01-01T00:00:00Z'],
    ['2024-01-01 10:00:00.120', '2024-01-01T10:00:00.12Z'],
    ['2024-01-01 10:00:00.123456789123', '2024-01-01T10:00:00.123456789Z'],
    ['2024-01-01 10:00:00,5', '2024-01-01T10:00:00.5Z'],
    ['2024-01-01 10:00:00Z', '2024-01-01T10:00:00Z'],
    ['2024-01-01T10:00:00+02:30', '2024-01-01T10:00:00+02:30'],
    ['2024-01-01 10:00:00-05:00', '2024-01-01T10:00:00-05:00'],
    ['2024-01-01 10:00:00.5+01:00', '2024-01-01T10:00:00.5+01:00'],
    ['2024-01-01 10:00:00-00:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01 9:05:03', '2024-01-01T09:05:03Z'],
    ['2024-01-01   10:00', '2024-01-01T10:00:00Z'],
    ['2024-02-29', '2024-02-29T00:00:00Z'],
    ['0000-01-01', '0000-01-01T00:00:00Z'],
  ];
  for (const [text, expected] of cases) {
    void test(`"${text}" prints as ${expected}`, () => assert.equal(printed(text), expected));
  }

  const unparseable = [
    '',
    'garbage',
    '2023-02-29',
    '2024-04-31',
    '2024-13-01',
    '2024-1-01',
    '2024-01-01 24:00:00',
    '2024-01-01 10:60:00',
    '2024-01-01 10:00:60',
    ' 2024-01-01',
    '2024-01-01 10:00:00 ',
    '2024-01-01 10:00:00+0200',
    '2024-01-01ZZ',
    '20240101',
  ];
  for (const text of unparseable) {
    void test(`"${text}" is Go's zero time`, () => assert.equal(printed(text), '0001-01-01T00:00:00Z'));
  }

  void test('an offset of 24 hours parses but cannot be printed', () => {
    assert.throws(() => printed('2024-01-01 10:00:00+24:00'), TimeFormatError);
  });
});

void describe('wallTimeFromUnix: integers in a time column', () => {
  void test('seconds up to 10^12, milliseconds beyond', () => {
    assert.equal(formatRfc3339Nano(wallTimeFromUnix(1_700_000_000n)), '2023-11-14T22:13:20Z');
    assert.equal(formatRfc3339Nano(wallTimeFromUnix(1_700_000_000_123n)), '2023-11-14T22:13:20.123Z');
    assert.equal(formatRfc3339Nano(wallTimeFromUnix(-5n)), '1969-12-31T23:59:55Z');
  });

  void test('the millisecond product wraps around 64 bits as in Go', () => {
    assert.equal(formatRfc3339Nano(wallTimeFromUnix(9_223_372_036_854_775_807n)), '1969-12-31T23:59:59.999Z');
  });

  void test("years beyond 9999 fail with Go's message", () => {
    assert.throws(() => formatRfc3339Nano(wallTimeFromUnix(1_000_000_000_000n)), {
      message: 'Time.MarshalText: year outside of range [0,9999]',
    });
    assert.throws(() => formatRfc3339Nano(wallTimeFromUnix(-62_167_219_201n)), TimeFormatError);
  });

  void test('agrees with JavaScript dates on every second they share', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }), (seconds) => {
        const expected = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
        assert.equal(formatRfc3339Nano(wallTimeFromUnix(BigInt(seconds))), expected);
      }),
      { numRuns: 2000 },
    );
  });
});

void describe('civilFromDays', () => {
  void test('matches JavaScript dates over the whole proleptic Gregorian range they cover', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (days) => {
        const date = new Date(days * 86_400_000);
        assert.deepEqual(civilFromDays(days), {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
        });
      }),
      { numRuns: 2000 },
    );
  });
});
