// A tokenizer that splits SQL exactly where SQLite's own tokenizer (tokenize.c, sqlite3GetToken) does,
// so that everything built on it sees string literals, quoted identifiers, blobs, comments and
// parameters as SQLite will. SQLite reads UTF-8 bytes; every non-ASCII character is an identifier
// character there, so working on UTF-16 code units gives the same token boundaries.
import type { Token, TokenKind } from './token.js';

const Char = {
  Nul: 0x00,
  Tab: 0x09,
  LineFeed: 0x0a,
  FormFeed: 0x0c,
  CarriageReturn: 0x0d,
  Space: 0x20,
  Bang: 0x21,
  DoubleQuote: 0x22,
  Hash: 0x23,
  Dollar: 0x24,
  Percent: 0x25,
  Ampersand: 0x26,
  SingleQuote: 0x27,
  OpenParen: 0x28,
  CloseParen: 0x29,
  Star: 0x2a,
  Plus: 0x2b,
  Comma: 0x2c,
  Minus: 0x2d,
  Dot: 0x2e,
  Slash: 0x2f,
  Digit0: 0x30,
  Digit9: 0x39,
  Colon: 0x3a,
  Semicolon: 0x3b,
  Less: 0x3c,
  Equals: 0x3d,
  Greater: 0x3e,
  Question: 0x3f,
  At: 0x40,
  UpperE: 0x45,
  UpperX: 0x58,
  OpenBracket: 0x5b,
  CloseBracket: 0x5d,
  Underscore: 0x5f,
  Backtick: 0x60,
  LowerE: 0x65,
  LowerX: 0x78,
  Pipe: 0x7c,
  Tilde: 0x7e,
  ByteOrderMark: 0xfeff,
} as const;

/** SQLite's digit separator inside numeric literals (`1_000_000`). */
const digitSeparator = Char.Underscore;

function isDigit(c: number): boolean {
  return c >= Char.Digit0 && c <= Char.Digit9;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** SQLite's isspace: space, tab, line feed, vertical tab, form feed, carriage return. */
function isSpace(c: number): boolean {
  return c === Char.Space || (c >= Char.Tab && c <= Char.CarriageReturn);
}

/** The characters that may continue an unquoted identifier: ASCII letters and digits, `_`, `$`, and
 * anything beyond ASCII. */
function isIdentifierChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    isDigit(c) ||
    c === Char.Underscore ||
    c === Char.Dollar ||
    c >= 0x80
  );
}

/** The characters that start whitespace. A vertical tab continues whitespace but cannot start it. */
function startsWhitespace(c: number): boolean {
  return (
    c === Char.Space ||
    c === Char.Tab ||
    c === Char.LineFeed ||
    c === Char.FormFeed ||
    c === Char.CarriageReturn
  );
}

interface Scan {
  readonly kind: TokenKind;
  readonly end: number;
}

/** Splits `sql` into tokens. Never fails: what SQLite would refuse comes back as `illegal` tokens. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let start = 0;
  while (start < sql.length) {
    const { kind, end } = scanToken(sql, start);
    if (end <= start) throw new Error(`tokenizer made no progress at offset ${start}`);
    tokens.push({ kind, text: sql.slice(start, end), start, end });
    start = end;
  }
  return tokens;
}

/** The code unit at `index`, or NUL past the end, as SQLite sees the end of its C string. */
function at(sql: string, index: number): number {
  return index < sql.length ? sql.charCodeAt(index) : Char.Nul;
}

function scanToken(sql: string, start: number): Scan {
  const c = sql.charCodeAt(start);
  const next = at(sql, start + 1);
  if (startsWhitespace(c)) {
    let end = start + 1;
    while (end < sql.length && isSpace(sql.charCodeAt(end))) end++;
    return { kind: 'whitespace', end };
  }
  switch (c) {
    case Char.ByteOrderMark:
      return { kind: 'whitespace', end: start + 1 };
    case Char.Minus:
      if (next === Char.Minus) return scanLineComment(sql, start);
      if (next === Char.Greater) return operator(start, at(sql, start + 2) === Char.Greater ? 3 : 2);
      return operator(start, 1);
    case Char.Slash:
      if (next !== Char.Star || at(sql, start + 2) === Char.Nul) return operator(start, 1);
      return scanBlockComment(sql, start);
    case Char.OpenParen:
    case Char.CloseParen:
    case Char.Semicolon:
    case Char.Plus:
    case Char.Star:
    case Char.Percent:
    case Char.Comma:
    case Char.Ampersand:
    case Char.Tilde:
      return operator(start, 1);
    case Char.Equals:
      return operator(start, next === Char.Equals ? 2 : 1);
    case Char.Less:
      return operator(start, next === Char.Equals || next === Char.Greater || next === Char.Less ? 2 : 1);
    case Char.Greater:
      return operator(start, next === Char.Equals || next === Char.Greater ? 2 : 1);
    case Char.Bang:
      return next === Char.Equals ? operator(start, 2) : { kind: 'illegal', end: start + 1 };
    case Char.Pipe:
      return operator(start, next === Char.Pipe ? 2 : 1);
    case Char.SingleQuote:
    case Char.DoubleQuote:
    case Char.Backtick:
      return scanQuoted(sql, start, c);
    case Char.OpenBracket:
      return scanBracketed(sql, start);
    case Char.Dot:
      return isDigit(next) ? scanNumber(sql, start) : operator(start, 1);
    case Char.Question: {
      let end = start + 1;
      while (isDigit(at(sql, end))) end++;
      return { kind: 'variable', end };
    }
    case Char.Dollar:
    case Char.At:
    case Char.Colon:
    case Char.Hash:
      return scanNamedVariable(sql, start);
    case Char.LowerX:
    case Char.UpperX:
      if (next === Char.SingleQuote) return scanBlob(sql, start);
      return scanWord(sql, start);
    default:
      if (isDigit(c)) return scanNumber(sql, start);
      if (isIdentifierChar(c)) return scanWord(sql, start);
      // NUL ends SQLite's input; everything else here (control characters, `\`, `^`, `{`, `}`) is
      // meaningless in SQL. Either way, one character is one illegal token.
      return { kind: 'illegal', end: start + 1 };
  }
}

function operator(start: number, length: number): Scan {
  return { kind: 'operator', end: start + length };
}

function scanWord(sql: string, start: number): Scan {
  let end = start + 1;
  while (isIdentifierChar(at(sql, end))) end++;
  return { kind: 'word', end };
}

/** `-- ...` runs to the end of the line; the line feed itself is whitespace. */
function scanLineComment(sql: string, start: number): Scan {
  let end = start + 2;
  for (let c = at(sql, end); c !== Char.Nul && c !== Char.LineFeed; c = at(sql, ++end));
  return { kind: 'comment', end };
}

/**
 * `/* ... *\/`. The closing `*` may not be the opening one, so `/*\/` does not close itself. An
 * unterminated comment runs to the end of the input and is still a comment, as in SQLite.
 */
function scanBlockComment(sql: string, start: number): Scan {
  for (let end = start + 3; end < sql.length; end++) {
    const c = sql.charCodeAt(end);
    if (c === Char.Nul) return { kind: 'comment', end };
    if (c === Char.Slash && sql.charCodeAt(end - 1) === Char.Star) {
      return { kind: 'comment', end: end + 1 };
    }
  }
  return { kind: 'comment', end: sql.length };
}

/**
 * A string in single quotes, or an identifier in double quotes or backticks. A doubled delimiter stands
 * for itself; an unterminated one is illegal and runs to the end of the input.
 */
function scanQuoted(sql: string, start: number, delimiter: number): Scan {
  let end = start + 1;
  for (;;) {
    const c = at(sql, end);
    if (c === Char.Nul) return { kind: 'illegal', end };
    if (c === delimiter) {
      if (at(sql, end + 1) !== delimiter) break;
      end++;
    }
    end++;
  }
  return { kind: delimiter === Char.SingleQuote ? 'string' : 'quoted', end: end + 1 };
}

/** `[...]` identifiers have no escape: the first `]` closes them. */
function scanBracketed(sql: string, start: number): Scan {
  let end = start + 1;
  for (let c = at(sql, end); c !== Char.Nul; c = at(sql, ++end)) {
    if (c === Char.CloseBracket) return { kind: 'quoted', end: end + 1 };
  }
  return { kind: 'illegal', end };
}

/** `x'..'`: an even number of hex digits between quotes, or an illegal token up to the next quote. */
function scanBlob(sql: string, start: number): Scan {
  let end = start + 2;
  while (isHexDigit(at(sql, end))) end++;
  const digits = end - start - 2;
  if (at(sql, end) === Char.SingleQuote && digits % 2 === 0) return { kind: 'blob', end: end + 1 };
  while (end < sql.length && at(sql, end) !== Char.Nul && at(sql, end) !== Char.SingleQuote) end++;
  if (at(sql, end) === Char.SingleQuote) end++;
  return { kind: 'illegal', end };
}

/** Skips a run of digits (hex digits when `hex`) that may contain digit separators. */
function skipDigits(sql: string, from: number, hex: boolean): number {
  let end = from;
  for (;;) {
    const c = at(sql, end);
    if (hex ? isHexDigit(c) : isDigit(c)) end++;
    else if (c === digitSeparator) end++;
    else return end;
  }
}

/**
 * Integers (decimal or `0x` hex), reals (`1.`, `.5`, `1e-3`), with optional digit separators. A number
 * run into identifier characters (`12ab`, `0x`, `1e`) is one illegal token.
 */
function scanNumber(sql: string, start: number): Scan {
  let end: number;
  if (
    sql.charCodeAt(start) === Char.Digit0 &&
    (at(sql, start + 1) === Char.LowerX || at(sql, start + 1) === Char.UpperX) &&
    isHexDigit(at(sql, start + 2))
  ) {
    end = skipDigits(sql, start + 2, true);
  } else {
    end = skipDigits(sql, start, false);
    if (at(sql, end) === Char.Dot) end = skipDigits(sql, end + 1, false);
    const e = at(sql, end);
    if (e === Char.LowerE || e === Char.UpperE) {
      const afterE = at(sql, end + 1);
      if (isDigit(afterE) || ((afterE === Char.Plus || afterE === Char.Minus) && isDigit(at(sql, end + 2)))) {
        end = skipDigits(sql, end + 2, false);
      }
    }
  }
  if (!isIdentifierChar(at(sql, end))) return { kind: 'number', end };
  while (isIdentifierChar(at(sql, end))) end++;
  return { kind: 'illegal', end };
}

/**
 * `$name`, `@name`, `:name`, `#name`. Names may contain `::` and end in a Tcl-style `(...)` suffix; a
 * prefix with no name after it is illegal.
 */
function scanNamedVariable(sql: string, start: number): Scan {
  let nameLength = 0;
  let end = start + 1;
  for (;;) {
    const c = at(sql, end);
    if (isIdentifierChar(c)) {
      nameLength++;
      end++;
    } else if (c === Char.OpenParen && nameLength > 0) {
      let d: number;
      do {
        end++;
        d = at(sql, end);
      } while (d !== Char.Nul && !isSpace(d) && d !== Char.CloseParen);
      if (d === Char.CloseParen) return { kind: 'variable', end: end + 1 };
      return { kind: 'illegal', end };
    } else if (c === Char.Colon && at(sql, end + 1) === Char.Colon) {
      end += 2;
    } else {
      break;
    }
  }
  return { kind: nameLength > 0 ? 'variable' : 'illegal', end };
}
