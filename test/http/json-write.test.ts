import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  GoJsonWriter,
  UnsupportedJsonValueError,
  compareGoStrings,
  formatGoFloat,
  quoteJson,
} from '../../src/http/json-write.js';

void describe('formatGoFloat writes float64 as Go encoding/json does', () => {
  // Outputs recorded from rqlited (go1.22) for the same REAL values.
  const recorded: [number, string][] = [
    [1, '1'],
    [1.5, '1.5'],
    [2.26e-7, '2.26e-7'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [-0, '-0'],
    [0, '0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-6, '0.000001'],
    [1e-7, '1e-7'],
    [123456789.123, '123456789.123'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9223372036854775808, '9223372036854776000'],
    [0.000062987, '0.000062987'],
    [-1.5e-10, '-1.5e-10'],
  ];
  for (const [value, expected] of recorded) {
    void test(expected, () => assert.equal(formatGoFloat(value), expected));
  }

  void test('infinities and NaN are refused with Go messages', () => {
    assert.throws(() => formatGoFloat(Infinity), { message: 'json: unsupported value: +Inf' });
    assert.throws(() => formatGoFloat(-Infinity), { message: 'json: unsupported value: -Inf' });
    assert.throws(() => formatGoFloat(NaN), UnsupportedJsonValueError);
  });

  void test('every finite double reads back as itself', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        assert.ok(
          Object.is(Number(formatGoFloat(value)), value) ||
            (value === 0 && Number(formatGoFloat(value)) === 0),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});

void describe('quoteJson escapes as Go does with HTML escaping on', () => {
  const cases: [string, string][] = [
    ['plain', '"plain"'],
    ['a<b>&c', '"a\\u003cb\\u003e\\u0026c"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['"\\/', '"\\"\\\\/"'],
    ['\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['\u0000\u001f\u007f', '"\\u0000\\u001f\u007f"'],
    ['é\u{1f600}', '"é\u{1f600}"'],
    ['\ud800x\udc00', '"\\ufffdx\\ufffd"'],
  ];
  for (const [input, expected] of cases) {
    void test(JSON.stringify(input), () => assert.equal(quoteJson(input), expected));
  }

  void test('its output is a JSON string with the same text (lone surrogates aside)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        assert.equal(JSON.parse(quoteJson(text)), text);
      }),
      { numRuns: 1_000 },
    );
  });
});

void describe('GoJsonWriter', () => {
  void test('compact output', () => {
    const writer = new GoJsonWriter(false);
    writer.beginObject().key('a').beginArray().integer(1n).float(1.5).string('x').null().boolean(true).end();
    writer.key('b').beginObject().end().key('c').beginArray().end().end();
    assert.equal(writer.toString(), '{"a":[1,1.5,"x",null,true],"b":{},"c":[]}');
  });

  void test('pretty output is json.MarshalIndent with four spaces; empty containers stay on one line', () => {
    const writer = new GoJsonWriter(true);
    writer.beginObject().key('results').beginArray();
    writer.beginObject().key('columns').beginArray().string('id').end().key('values').beginArray();
    writer.beginArray().integer(1n).end().end().end();
    writer.beginObject().key('rows').beginArray().end().key('types').beginObject().end().end();
    writer.end().end();
    assert.equal(
      writer.toString(),
      [
        '{',
        '    "results": [',
        '        {',
        '            "columns": [',
        '                "id"',
        '            ],',
        '            "values": [',
        '                [',
        '                    1',
        '                ]',
        '            ]',
        '        },',
        '        {',
        '            "rows": [],',
        '            "types": {}',
        '        }',
        '    ]',
        '}',
      ].join('\n'),
    );
  });

  void test('plain objects are written with sorted keys, Maps in their order', () => {
    const text = new GoJsonWriter(false)
      .value({
        b: 1,
        a: new Map<string, bigint>([
          ['z', 1n],
          ['y', 2n],
        ]),
        é: null,
        Z: [true],
      })
      .toString();
    assert.equal(text, '{"Z":[true],"a":{"z":1,"y":2},"b":1,"é":null}');
  });

  void test('misuse is a loud error, not bad JSON', () => {
    assert.throws(() => new GoJsonWriter(false).beginObject().string('x'));
    assert.throws(() => new GoJsonWriter(false).beginArray().toString());
    assert.throws(() => new GoJsonWriter(false).end());
  });

  void test('pretty and compact output are the same JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const compact = new GoJsonWriter(false).value(value as never).toString();
        const pretty = new GoJsonWriter(true).value(value as never).toString();
        assert.deepEqual(JSON.parse(pretty), JSON.parse(compact));
        assert.ok(!/\n/.test(compact));
      }),
      { numRuns: 300 },
    );
  });
});

void describe('compareGoStrings orders as Go compares strings (UTF-8 bytes)', () => {
  void test('agrees with a byte comparison of the UTF-8 encodings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.equal(Math.sign(compareGoStrings(a, b)), expected);
      }),
      { numRuns: 2_000 },
    );
  });

  void test('a character above U+FFFF sorts after U+FFFD', () => {
    assert.ok(compareGoStrings('\u{1f600}', '\ufffd') > 0);
  });
});
