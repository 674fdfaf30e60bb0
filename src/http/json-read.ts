// A JSON reader over raw bytes that keeps numbers as their literal text. JSON.parse turns every number
// into a double, which silently changes integers beyond 2^53; SQLite integers are int64, so the literal
// must survive until we know whether it is one. The reader follows Go's encoding/json scanner (which is
// what rqlite's clients are talking to): the same grammar, the same white space, invalid UTF-8 and lone
// surrogate escapes replaced by U+FFFD, and a value ends where its grammar ends, so the caller decides
// what may follow it.
import { decodeUtf8 } from './go-text.js';

/** A JSON number literal, exactly as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** Objects keep their members in a Map: keys such as `__proto__` are data, and a repeated key keeps the last value. */
export type JsonParsed =
  null | boolean | string | JsonNumber | readonly JsonParsed[] | ReadonlyMap<string, JsonParsed>;

/** Malformed JSON at a byte offset. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

/**
 * Deeper nesting is refused as malformed. Go's decoder allows 10,000 levels; this reader recurses, and no
 * statement body has a use for more than two, so it stops well before the stack would.
 */
export const nestingDepthMax = 1_000;

// Byte values the grammar names, as plain numbers (bytes are compared with them everywhere).
const Byte = {
  Tab: 0x09,
  LineFeed: 0x0a,
  CarriageReturn: 0x0d,
  Space: 0x20,
  Quote: 0x22,
  Plus: 0x2b,
  Comma: 0x2c,
  Minus: 0x2d,
  Dot: 0x2e,
  Zero: 0x30,
  Nine: 0x39,
  Colon: 0x3a,
  UpperE: 0x45,
  OpenBracket: 0x5b,
  Backslash: 0x5c,
  CloseBracket: 0x5d,
  LowerE: 0x65,
  OpenBrace: 0x7b,
  CloseBrace: 0x7d,
} as const;

/** A string read by readRepeatedString: where its bytes were and what they decoded to. */
interface RememberedString {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export class JsonReader {
  private position = 0;
  private remembered: RememberedString | undefined;
  // Buffers decode a range without a view object first; a plain Uint8Array takes the general path.
  private readonly buffer: Buffer | undefined;

  constructor(private readonly bytes: Uint8Array) {
    this.buffer = Buffer.isBuffer(bytes) ? bytes : undefined;
  }

  get offset(): number {
    return this.position;
  }

  /** Skips JSON white space (space, tab, CR, LF: nothing else) and returns the next byte, or -1 at the end. */
  peek(): number {
    while (this.position < this.bytes.length) {
      const byte = this.bytes[this.position] ?? 0;
      if (
        byte !== Byte.Space &&
        byte !== Byte.Tab &&
        byte !== Byte.LineFeed &&
        byte !== Byte.CarriageReturn
      ) {
        return byte;
      }
      this.position += 1;
    }
    return -1;
  }

  /** Consumes one byte after white space; throws if it is not the expected one. */
  expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.fail(`expected ${what}`);
    this.position += 1;
  }

  /** Consumes the byte `peek()` returned. */
  advance(): void {
    this.position += 1;
  }

  /** Reads one complete value at the current position (after white space). */
  readValue(depth = 0): JsonParsed {
    const byte = this.peek();
    switch (byte) {
      case Byte.Quote:
        return this.readString();
      case Byte.OpenBracket:
        return this.readArray(depth + 1);
      case Byte.OpenBrace:
        return this.readObject(depth + 1);
      case 0x74 /* t */:
        return this.readLiteral('true', true);
      case 0x66 /* f */:
        return this.readLiteral('false', false);
      case 0x6e /* n */:
        return this.readLiteral('null', null);
      default:
        if (byte === Byte.Minus || (byte >= Byte.Zero && byte <= Byte.Nine)) return this.readNumber();
        return this.fail(byte === -1 ? 'unexpected end of JSON input' : 'invalid character');
    }
  }

  /** Reads a string literal; the reader must be at its opening quote (after white space). */
  readString(): string {
    return this.readStringLiteral(false);
  }

  /**
   * readString for a string that is likely the same as the previous one read this way (the SQL of the
   * statements of a batch): when its bytes are the same, the same string comes back without decoding,
   * and everything keyed by it later (memos, the encoder's table of texts) finds its hash already known.
   */
  readRepeatedString(): string {
    return this.readStringLiteral(true);
  }

  private readStringLiteral(repeated: boolean): string {
    this.expect(Byte.Quote, 'string');
    const start = this.position;
    const end = this.plainStringEnd(start);
    if (end < 0) return this.readEscapedString(start);
    this.position = end + 1;
    return repeated ? this.sameOrDecoded(start, end) : this.decodeRange(start, end);
  }

  /** The remembered string when its bytes equal those from `start` to `end`; else they, decoded. */
  private sameOrDecoded(start: number, end: number): string {
    const previous = this.remembered;
    if (
      previous !== undefined &&
      this.buffer !== undefined &&
      previous.end - previous.start === end - start &&
      this.buffer.compare(this.buffer, previous.start, previous.end, start, end) === 0
    ) {
      return previous.text;
    }
    const text = this.decodeRange(start, end);
    this.remembered = { start, end, text };
    return text;
  }

  /**
   * Where the string starting at `start` (just after its opening quote) ends, when it has no escape: the
   * offset of its closing quote; -1 when it has one (the caller then reads it the slow way).
   */
  private plainStringEnd(start: number): number {
    const bytes = this.bytes;
    let index = start;
    while (index < bytes.length) {
      const byte = bytes[index] ?? 0;
      if (byte === Byte.Quote) return index;
      if (byte === Byte.Backslash) return -1;
      if (byte < 0x20) this.failAt(index, 'invalid character in string literal');
      index += 1;
    }
    return -1;
  }

  private decodeRange(start: number, end: number): string {
    const buffer = this.buffer;
    // ASCII is the same in Latin-1 and UTF-8, and Latin-1 needs neither a view nor validation.
    if (buffer !== undefined && isAscii(buffer, start, end)) return buffer.toString('latin1', start, end);
    return decodeUtf8(this.bytes.subarray(start, end));
  }

  private readEscapedString(start: number): string {
    const bytes = this.bytes;
    let out = '';
    let runStart = start;
    let index = start;
    for (;;) {
      if (index >= bytes.length) this.failAt(index, 'unexpected end of JSON input');
      const byte = bytes[index] ?? 0;
      if (byte === Byte.Quote) {
        out += decodeUtf8(bytes.subarray(runStart, index));
        this.position = index + 1;
        return out;
      }
      if (byte < 0x20) this.failAt(index, 'invalid character in string literal');
      if (byte !== Byte.Backslash) {
        index += 1;
        continue;
      }
      out += decodeUtf8(bytes.subarray(runStart, index));
      const escape = bytes[index + 1] ?? -1;
      switch (escape) {
        case Byte.Quote:
          out += '"';
          break;
        case Byte.Backslash:
          out += '\\';
          break;
        case 0x2f /* / */:
          out += '/';
          break;
        case 0x62 /* b */:
          out += '\b';
          break;
        case 0x66 /* f */:
          out += '\f';
          break;
        case 0x6e /* n */:
          out += '\n';
          break;
        case 0x72 /* r */:
          out += '\r';
          break;
        case 0x74 /* t */:
          out += '\t';
          break;
        case 0x75 /* u */: {
          const unit = this.hex4(index + 2);
          index += 6;
          if (unit >= 0xd800 && unit <= 0xdfff) {
            // A high surrogate followed by an escaped low surrogate is one character; any other surrogate
            // is replaced, as Go does (a JavaScript string could hold it, but no UTF-8 text can).
            const next =
              bytes[index] === Byte.Backslash && bytes[index + 1] === 0x75 ? this.hex4(index + 2) : -1;
            if (unit < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
              out += String.fromCharCode(unit, next);
              index += 6;
            } else {
              out += '\ufffd';
            }
          } else {
            out += String.fromCharCode(unit);
          }
          runStart = index;
          continue;
        }
        default:
          this.failAt(index + 1, 'invalid escape in string literal');
      }
      index += 2;
      runStart = index;
    }
  }

  /** Four hex digits at `index` as a number; -1 when they are not (only for the lookahead of a pair). */
  private hex4(index: number): number {
    let value = 0;
    for (let offset = 0; offset < 4; offset += 1) {
      const byte = this.bytes[index + offset];
      let digit: number;
      if (byte === undefined) this.failAt(index + offset, 'unexpected end of JSON input');
      else if (byte >= 0x30 && byte <= 0x39) digit = byte - 0x30;
      else if (byte >= 0x61 && byte <= 0x66) digit = byte - 0x57;
      else if (byte >= 0x41 && byte <= 0x46) digit = byte - 0x37;
      else this.failAt(index + offset, 'invalid character in \\u escape');
      value = value * 16 + digit;
    }
    return value;
  }

  /** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, ending where the grammar ends (so "01" reads "0"). */
  private readNumber(): JsonNumber {
    const bytes = this.bytes;
    const start = this.position;
    let index = start;
    const isDigit = (at: number): boolean => {
      const byte = bytes[at];
      return byte !== undefined && byte >= Byte.Zero && byte <= Byte.Nine;
    };
    if (bytes[index] === Byte.Minus) index += 1;
    if (bytes[index] === Byte.Zero) {
      index += 1;
    } else if (isDigit(index)) {
      while (isDigit(index)) index += 1;
    } else {
      this.failAt(index, 'invalid character in numeric literal');
    }
    if (bytes[index] === Byte.Dot) {
      index += 1;
      if (!isDigit(index)) this.failAt(index, 'invalid character after decimal point in numeric literal');
      while (isDigit(index)) index += 1;
    }
    if (bytes[index] === Byte.LowerE || bytes[index] === Byte.UpperE) {
      index += 1;
      if (bytes[index] === Byte.Plus || bytes[index] === Byte.Minus) index += 1;
      if (!isDigit(index)) this.failAt(index, 'invalid character in exponent of numeric literal');
      while (isDigit(index)) index += 1;
    }
    this.position = index;
    // Number literals are ASCII by construction.
    return new JsonNumber(String.fromCharCode(...bytes.subarray(start, index)));
  }

  private readLiteral<T>(word: string, value: T): T {
    for (let offset = 0; offset < word.length; offset += 1) {
      if (this.bytes[this.position + offset] !== word.charCodeAt(offset)) {
        this.failAt(this.position + offset, `invalid character in literal ${word}`);
      }
    }
    this.position += word.length;
    return value;
  }

  private readArray(depth: number): JsonParsed[] {
    if (depth > nestingDepthMax) this.fail('exceeded max depth');
    this.expect(Byte.OpenBracket, '[');
    const items: JsonParsed[] = [];
    if (this.peek() === Byte.CloseBracket) {
      this.advance();
      return items;
    }
    for (;;) {
      items.push(this.readValue(depth));
      const next = this.peek();
      this.advance();
      if (next === Byte.CloseBracket) return items;
      if (next !== Byte.Comma) this.failAt(this.position - 1, 'invalid character after array element');
    }
  }

  private readObject(depth: number): Map<string, JsonParsed> {
    if (depth > nestingDepthMax) this.fail('exceeded max depth');
    this.expect(Byte.OpenBrace, '{');
    const members = new Map<string, JsonParsed>();
    if (this.peek() === Byte.CloseBrace) {
      this.advance();
      return members;
    }
    for (;;) {
      if (this.peek() !== Byte.Quote) {
        this.fail('invalid character looking for beginning of object key string');
      }
      const key = this.readString();
      this.expect(Byte.Colon, "':' after object key");
      members.set(key, this.readValue(depth));
      const next = this.peek();
      this.advance();
      if (next === Byte.CloseBrace) return members;
      if (next !== Byte.Comma) {
        this.failAt(this.position - 1, 'invalid character after object key:value pair');
      }
    }
  }

  fail(message: string): never {
    return this.failAt(this.position, message);
  }

  private failAt(offset: number, message: string): never {
    throw new JsonSyntaxError(message, offset);
  }
}

/** json.Unmarshal: exactly one value, with nothing but white space after it. */
export function parseJsonDocument(bytes: Uint8Array): JsonParsed {
  const reader = new JsonReader(bytes);
  const value = reader.readValue();
  if (reader.peek() !== -1) reader.fail('invalid character after top-level value');
  return value;
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if ((bytes[index] ?? 0) >= 0x80) return false;
  }
  return true;
}
