import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { Token, TokenKind } from '../../src/sql/index.js';
import { tokenize } from '../../src/sql/index.js';
import { nameOf } from '../../src/sql/token.js';
import { runs } from './sources.js';

function kinds(sql: string): [TokenKind, string][] {
  return tokenize(sql).map((token) => [token.kind, token.text]);
}

function significantKinds(sql: string): [TokenKind, string][] {
  return kinds(sql).filter(([kind]) => kind !== 'whitespace');
}

describe('tokenize: token classes', () => {
  it('splits words, operators and whitespace with their offsets', () => {
    assert.deepEqual(tokenize('SELECT a,b'), [
      { kind: 'word', text: 'SELECT', start: 0, end: 6 },
      { kind: 'whitespace', text: ' ', start: 6, end: 7 },
      { kind: 'word', text: 'a', start: 7, end: 8 },
      { kind: 'operator', text: ',', start: 8, end: 9 },
      { kind: 'word', text: 'b', start: 9, end: 10 },
    ]);
  });

  it('reads string literals with doubled quotes, and keeps what is inside them whole', () => {
    assert.deepEqual(significantKinds("'it''s random()' || 'a;b'"), [
      ['string', "'it''s random()'"],
      ['operator', '||'],
      ['string', "'a;b'"],
    ]);
  });

  it('reads the three quoted identifier forms; [...] has no escape', () => {
    assert.deepEqual(significantKinds('"a""b" `c``d` [e"f]'), [
      ['quoted', '"a""b"'],
      ['quoted', '`c``d`'],
      ['quoted', '[e"f]'],
    ]);
  });

  it('reads blob literals and refuses malformed ones as SQLite does', () => {
    assert.deepEqual(significantKinds("x'00fF' X''"), [
      ['blob', "x'00fF'"],
      ['blob', "X''"],
    ]);
    assert.deepEqual(significantKinds("x'abc' + 1"), [
      ['illegal', "x'abc'"],
      ['operator', '+'],
      ['number', '1'],
    ]);
    assert.deepEqual(significantKinds("x'zz'"), [['illegal', "x'zz'"]]);
    assert.deepEqual(significantKinds('xray'), [['word', 'xray']]);
  });

  it('reads numbers: integers, hex, reals, exponents, digit separators', () => {
    for (const text of [
      '0',
      '42',
      '0x1F',
      '0XaB',
      '1.5',
      '1.',
      '.5',
      '1e10',
      '1E+3',
      '2.5e-3',
      '1_000',
      '0x1_F',
    ]) {
      assert.deepEqual(significantKinds(text), [['number', text]], text);
    }
  });

  it('makes a number run into letters one illegal token', () => {
    assert.deepEqual(significantKinds('12ab'), [['illegal', '12ab']]);
    assert.deepEqual(significantKinds('0x_1'), [['illegal', '0x_1']]);
    assert.deepEqual(significantKinds('1e'), [['illegal', '1e']]);
    assert.deepEqual(significantKinds('0x'), [['illegal', '0x']]);
    assert.deepEqual(significantKinds('1e+'), [
      ['illegal', '1e'],
      ['operator', '+'],
    ]);
  });

  it('reads parameters of every form', () => {
    for (const text of ['?', '?12', ':name', '@name', '$name', '#name', '$a::b', ':a1$']) {
      assert.deepEqual(significantKinds(text), [['variable', text]], text);
    }
    assert.deepEqual(significantKinds('$a(b)'), [['variable', '$a(b)']]);
    assert.deepEqual(significantKinds(': x'), [
      ['illegal', ':'],
      ['word', 'x'],
    ]);
  });

  it('reads comments: -- stops before the line feed, /* */ may run to the end', () => {
    assert.deepEqual(kinds('a--c\nb'), [
      ['word', 'a'],
      ['comment', '--c'],
      ['whitespace', '\n'],
      ['word', 'b'],
    ]);
    assert.deepEqual(kinds('a/**/b/*/c'), [
      ['word', 'a'],
      ['comment', '/**/'],
      ['word', 'b'],
      ['comment', '/*/c'],
    ]);
    assert.deepEqual(kinds('a/*'), [
      ['word', 'a'],
      ['operator', '/'],
      ['operator', '*'],
    ]);
  });

  it('reads multi-character operators', () => {
    assert.deepEqual(
      significantKinds('a->>b->c||d<=e>=f<>g!=h==i<<j>>k').filter(([kind]) => kind === 'operator'),
      ['->>', '->', '||', '<=', '>=', '<>', '!=', '==', '<<', '>>'].map((text) => ['operator', text]),
    );
  });

  it('marks unterminated quotes and stray characters illegal', () => {
    assert.deepEqual(significantKinds("'abc"), [['illegal', "'abc"]]);
    assert.deepEqual(significantKinds('"abc'), [['illegal', '"abc']]);
    assert.deepEqual(significantKinds('[abc'), [['illegal', '[abc']]);
    assert.deepEqual(significantKinds('a ! b'), [
      ['word', 'a'],
      ['illegal', '!'],
      ['word', 'b'],
    ]);
    assert.deepEqual(significantKinds('\\^{}'), [
      ['illegal', '\\'],
      ['illegal', '^'],
      ['illegal', '{'],
      ['illegal', '}'],
    ]);
  });

  it('treats non-ASCII characters as identifier characters and a byte-order mark as space', () => {
    assert.deepEqual(kinds('\uFEFFSELECT été_\u00a0x'), [
      ['whitespace', '\uFEFF'],
      ['word', 'SELECT'],
      ['whitespace', ' '],
      ['word', 'été_\u00a0x'],
    ]);
  });

  it('lets a vertical tab continue whitespace but not start it', () => {
    assert.deepEqual(kinds('a \vb\vc'), [
      ['word', 'a'],
      ['whitespace', ' \v'],
      ['word', 'b'],
      ['illegal', '\v'],
      ['word', 'c'],
    ]);
  });
});

/** Characters that exercise every branch of the tokenizer. */
const sqlCharacters = fc.constantFrom(
  ...[...'abxXe0123456789_$@:#?\'"`[]()-/*+.,;=<>!|&~%\\^{} \n\t\v\r\f\u00e9\uFEFF'],
  "''",
  '--',
  '/*',
  '*/',
  "x'",
  '0x',
  '->>',
);
/** Whole tokens of each class, so that random text holds many of them, complete or cut by neighbours. */
const sqlTokens = fc.constantFrom(
  "'it''s'",
  "'a;b--c'",
  "x'0aFF'",
  "X''",
  "x'abc'",
  '"q""x"',
  '[a b]',
  '`b``c`',
  '1.5e3',
  '0x1F',
  '.5',
  '1e+5',
  '-- c\n',
  '/* c */',
  ':p',
  '@p',
  '$p::q(r)',
  '?7',
  'random()',
);
const sqlText = fc
  .array(fc.oneof(sqlCharacters, sqlTokens), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('tokenize: properties', () => {
  it('gives back the input when the token texts are joined, with contiguous offsets', () => {
    fc.assert(
      fc.property(
        fc.oneof(sqlText, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 })),
        (sql) => {
          const tokens = tokenize(sql);
          assert.equal(tokens.map((token) => token.text).join(''), sql);
          let offset = 0;
          for (const token of tokens) {
            assert.equal(token.start, offset);
            assert.ok(token.end > token.start);
            assert.equal(sql.slice(token.start, token.end), token.text);
            offset = token.end;
          }
          assert.equal(offset, sql.length);
        },
      ),
      runs(2000),
    );
  });

  it('agrees with SQLite on what each literal, identifier, comment and illegal token is', () => {
    const db = new Database(':memory:');
    try {
      const checked = new Map<TokenKind, number>();
      const check = (token: Token): void => {
        checked.set(token.kind, (checked.get(token.kind) ?? 0) + 1);
        const run = (sql: string): unknown => db.prepare(sql).pluck().get();
        switch (token.kind) {
          case 'string':
            assert.equal(run(`SELECT ${token.text}`), nameOf(token));
            break;
          case 'blob':
            assert.equal(run(`SELECT typeof(${token.text})`), 'blob');
            break;
          case 'number':
            // Misplaced digit separators are tokens SQLite rejects only once it reads the number.
            if (token.text.includes('_')) break;
            // So is a hex literal beyond 64 bits.
            if (/^0x/i.test(token.text) && token.text.length > 18) break;
            assert.match(String(run(`SELECT typeof(${token.text})`)), /^(integer|real)$/);
            break;
          case 'quoted':
            if (token.text.includes('\0')) break;
            assert.equal(db.prepare(`SELECT 1 AS ${token.text}`).columns()[0]?.name, nameOf(token));
            break;
          case 'comment':
            if (token.text.includes('\0')) break;
            assert.equal(run(`SELECT 7 ${token.text}\n`), 7);
            break;
          case 'illegal':
            assert.throws(() => db.prepare(`SELECT ${token.text}`), token.text);
            break;
          case 'word':
          case 'variable':
          case 'operator':
          case 'whitespace':
            break;
        }
      };
      fc.assert(
        fc.property(sqlText, (sql) => {
          for (const token of tokenize(sql)) check(token);
        }),
        runs(1500),
      );
      // The generator must reach every class this test checks, or the test proves nothing.
      for (const kind of ['string', 'blob', 'number', 'quoted', 'comment', 'illegal'] as const) {
        assert.ok(
          (checked.get(kind) ?? 0) >= 50,
          `only ${checked.get(kind) ?? 0} ${kind} tokens were generated`,
        );
      }
    } finally {
      db.close();
    }
  });
});
