import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { DurationSyntaxError, formatGoDuration, parseGoDurationNs } from '../../src/http/duration.js';

const int64Max = (1n << 63n) - 1n;
const int64Min = -(1n << 63n);

void describe('parseGoDurationNs accepts what time.ParseDuration accepts', () => {
  const valid: [string, bigint][] = [
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['0s', 0n],
    ['500ms', 500_000_000n],
    ['1m30s', 90_000_000_000n],
    ['1h', 3_600_000_000_000n],
    ['2us', 2_000n],
    ['2\u00b5s', 2_000n],
    ['2\u03bcs', 2_000n],
    ['1.5s', 1_500_000_000n],
    ['.5s', 500_000_000n],
    ['5.s', 5_000_000_000n],
    ['-1s', -1_000_000_000n],
    ['+1s', 1_000_000_000n],
    ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
    ['1.0000000001s', 1_000_000_000n],
    ['0.1ns', 0n],
    ['9223372036854775807ns', int64Max],
    ['-9223372036854775808ns', int64Min],
    ['2562047h47m16.854775807s', int64Max],
    // Fraction digits beyond what fits are ignored, not an error.
    ['1.00000000000000000000000000000000000000001s', 1_000_000_000n],
  ];
  for (const [input, expected] of valid) {
    void test(JSON.stringify(input), () => assert.equal(parseGoDurationNs(input), expected));
  }
});

void describe('parseGoDurationNs refuses what time.ParseDuration refuses', () => {
  const invalid = [
    '',
    '-',
    '+',
    '5',
    '5.',
    '.',
    '.s',
    's',
    '1x',
    '1 s',
    ' 1s',
    '1s ',
    '1S',
    '1sec',
    '1e3s',
    '--1s',
    '1s-1s',
    '9223372036854775808ns',
    '9223372036854775807ns1ns',
    '2562047h47m16.854775808s',
    '3000000h',
    '99999999999999999999s',
  ];
  for (const input of invalid) {
    void test(JSON.stringify(input), () =>
      assert.throws(() => parseGoDurationNs(input), DurationSyntaxError),
    );
  }
});

void describe('formatGoDuration prints as time.Duration.String', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [1_000n, '1\u00b5s'],
    [1_500n, '1.5\u00b5s'],
    [589n, '589ns'],
    [104_500n, '104.5\u00b5s'],
    [1_000_000n, '1ms'],
    [1_234_567n, '1.234567ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [71_260_593_000n, '1m11.260593s'],
    [-1_500_000_000n, '-1.5s'],
    [-1n, '-1ns'],
    [int64Max, '2562047h47m16.854775807s'],
    [int64Min, '-2562047h47m16.854775808s'],
  ];
  for (const [nanoseconds, expected] of cases) {
    void test(`${nanoseconds}ns`, () => assert.equal(formatGoDuration(nanoseconds), expected));
  }

  void test('what it prints parses back to the same duration', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: int64Min, max: int64Max }), (nanoseconds) => {
        assert.equal(parseGoDurationNs(formatGoDuration(nanoseconds)), nanoseconds);
      }),
      { numRuns: 2_000 },
    );
  });
});
