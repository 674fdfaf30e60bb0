import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { decodeUtf8, trimGoSpace } from '../../src/http/go-text.js';
import {
  JsonNumber,
  JsonReader,
  JsonSyntaxError,
  nestingDepthMax,
  parseJsonDocument,
  type JsonParsed,
} from '../../src/http/json-read.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const parse = (text: string): JsonParsed => parseJsonDocument(bytes(text));

/** The reader's tree in JSON.parse's terms, to compare with it. */
function plain(value: JsonParsed): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return (value as readonly JsonParsed[]).map(plain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of value as ReadonlyMap<string, JsonParsed>) {
      Object.defineProperty(out, key, {
        value: plain(member),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

void describe('JsonReader', () => {
  void test('keeps number literals exactly as written', () => {
    assert.deepEqual(parse('[9223372036854775807, -0, 1.5e+300, 0.1]'), [
      new JsonNumber('9223372036854775807'),
      new JsonNumber('-0'),
      new JsonNumber('1.5e+300'),
      new JsonNumber('0.1'),
    ]);
  });

  void test('objects are Maps: __proto__ is data and a repeated key keeps its last value', () => {
    const value = parse('{"__proto__": 1, "a": 2, "a": 3}');
    assert.ok(value instanceof Map);
    assert.deepEqual(
      [...value],
      [
        ['__proto__', new JsonNumber('1')],
        ['a', new JsonNumber('3')],
      ],
    );
  });

  void test('string escapes, including surrogate pairs and lone surrogates (replaced as Go does)', () => {
    assert.equal(parse('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"'), '"\\/\b\f\n\r\tAé');
    assert.equal(parse('"\\ud83d\\ude00"'), '\u{1f600}');
    assert.equal(parse('"\\ud800x"'), '\ufffdx');
    assert.equal(parse('"\\ud800\\u0041"'), '\ufffdA');
    assert.equal(parse('"\\udc00\\udc00"'), '\ufffd\ufffd');
  });

  void test('invalid UTF-8 in a string becomes one U+FFFD per bad byte, as Go decodes it', () => {
    const raw = Uint8Array.from([0x22, 0xe2, 0x82, 0x41, 0xff, 0xed, 0xa0, 0x80, 0xc3, 0xa9, 0x22]);
    assert.equal(parseJsonDocument(raw), '\ufffd\ufffdA\ufffd\ufffd\ufffd\ufffdé');
  });

  void test('a byte-order mark is kept, not skipped', () => {
    assert.equal(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41])), '\ufeffA');
  });

  const malformed = [
    '',
    ' ',
    '[',
    '[1,]',
    '[,1]',
    '{"a"}',
    '{"a":}',
    '{a:1}',
    '{"a":1,}',
    '"abc',
    '"a\\x"',
    '"a\u0001"',
    '"\\u12"',
    '"\\u12G4"',
    '01',
    '1.',
    '.5',
    '-',
    '+1',
    '1e',
    '1e+',
    'tru',
    'nul',
    'True',
    '\ufeff[]',
    '[1] x',
    'NaN',
    'Infinity',
  ];
  for (const text of malformed) {
    void test(`refuses ${JSON.stringify(text)}`, () => assert.throws(() => parse(text), JsonSyntaxError));
  }

  void test('a value ends where its grammar ends, so the caller sees what follows', () => {
    const reader = new JsonReader(bytes('01'));
    assert.deepEqual(reader.readValue(), new JsonNumber('0'));
    assert.equal(reader.peek(), 0x31);
    const literal = new JsonReader(bytes('truex'));
    assert.equal(literal.readValue(), true);
    assert.equal(literal.peek(), 0x78);
  });

  void test('nesting is limited before the stack is', () => {
    assert.doesNotThrow(() => parse('['.repeat(nestingDepthMax) + ']'.repeat(nestingDepthMax)));
    assert.throws(
      () => parse('['.repeat(nestingDepthMax + 1) + ']'.repeat(nestingDepthMax + 1)),
      JsonSyntaxError,
    );
    assert.throws(() => parse('['.repeat(200_000)), JsonSyntaxError);
  });

  void test('reads whatever JSON.stringify writes, to the same values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        assert.deepEqual(plain(parse(text)), JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  void test('never throws anything but JsonSyntaxError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        try {
          parseJsonDocument(input);
        } catch (error) {
          assert.ok(error instanceof JsonSyntaxError, String(error));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

void describe('trimGoSpace trims what Go calls space', () => {
  void test('U+0085 and U+00A0 are trimmed, U+FEFF and U+200B are not', () => {
    assert.equal(trimGoSpace('\u0085\u00a0 x \t\n\v\f\r\u3000'), 'x');
    assert.equal(trimGoSpace('\ufeffx\u200b'), '\ufeffx\u200b');
  });
});

void describe('JsonReader over a Buffer', () => {
  // Buffers take their own decoding path (ASCII without a view) and repeated strings come back without
  // decoding: both must read exactly what the general path reads.
  const strings = fc.array(
    fc.oneof(
      fc.constantFrom('INSERT INTO t(v) VALUES(?)', 'INSERT INTO t(v) VALUES(!)', 'é', ''),
      fc.string({ unit: 'binary', maxLength: 12 }),
    ),
    { minLength: 1, maxLength: 8 },
  );

  void test('strings read as from any byte array, repeated or not', () => {
    fc.assert(
      fc.property(strings, (texts) => {
        const json = `[${texts.map((text) => JSON.stringify(text)).join(',')}]`;
        const readAll = (source: Uint8Array, repeated: boolean): string[] => {
          const reader = new JsonReader(source);
          reader.expect(0x5b, 'array');
          const out: string[] = [];
          for (const _ of texts) {
            if (out.length > 0) reader.expect(0x2c, 'comma');
            out.push(repeated ? reader.readRepeatedString() : reader.readString());
          }
          return out;
        };
        const expected = readAll(bytes(json), false);
        assert.deepEqual(readAll(Buffer.from(json), false), expected);
        assert.deepEqual(readAll(Buffer.from(json), true), expected);
        assert.deepEqual(expected, JSON.parse(json));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  void test('invalid UTF-8 in a Buffer becomes U+FFFD as in Go', () => {
    const source = Buffer.from([0x22, 0x61, 0xff, 0x62, 0x22]);
    assert.equal(new JsonReader(source).readString(), 'a\uFFFDb');
    assert.equal(new JsonReader(source).readRepeatedString(), 'a\uFFFDb');
  });
});
