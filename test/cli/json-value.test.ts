import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsonSyntaxError, parseJson, stringifyJson } from '../../src/cli/json-value.js';

describe('JSON reader', () => {
  it('keeps integers beyond 2^53 exact as bigint and leaves smaller ones as numbers', () => {
    assert.deepEqual(parseJson('[9223372036854775807, -9223372036854775808, 9007199254740991, 1.5, 2e3]'), [
      9223372036854775807n,
      -9223372036854775808n,
      9007199254740991,
      1.5,
      2000,
    ]);
    assert.equal(stringifyJson(parseJson('{"n":9223372036854775807}')), '{"n":9223372036854775807}');
  });

  it('reads strings with escapes and keys such as __proto__ as plain keys', () => {
    const value = parseJson('{"__proto__": {"x": 1}, "s": "a\\"b\\u00e9\\n"}') as Record<string, unknown>;
    assert.equal(value.s, 'a"bé\n');
    assert.deepEqual(Object.keys(value), ['__proto__', 's']);
    assert.equal(Object.getPrototypeOf(value), null);
  });

  it('rejects malformed text with a JsonSyntaxError', () => {
    for (const text of ['', '{', '[1,]', '{"a" 1}', '"open', 'tru', '1 2', '{"a":1}x', '"\u0001"', '01']) {
      assert.throws(() => parseJson(text), JsonSyntaxError, text);
    }
  });

  it('refuses nesting without end', () => {
    assert.throws(() => parseJson('['.repeat(1000) + ']'.repeat(1000)), /nesting deeper/);
  });

  it('agrees with JSON.parse on every JSON document', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        assert.equal(stringifyJson(parseJson(text)), JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });
});
