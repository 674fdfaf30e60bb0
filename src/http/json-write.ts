// A JSON writer whose output is byte for byte what Go's encoding/json produces for rqlite's responses:
// integers written exactly (bigint), floats in Go's shortest form (`2.26e-7`, `1e+21`, `-0`), strings
// escaped as Go escapes them with HTML escaping on (rqlite wraps its results in a final json.Marshal,
// which turns `<`, `>`, `&` into \u003c, \u003e, \u0026; U+2028 and U+2029 are always escaped), and
// `pretty` output laid out as json.MarshalIndent with four spaces: one member per line, `{}` and `[]` for
// empty containers, a space after each colon.

/** Go's json.UnsupportedValueError: a float that JSON cannot carry. */
export class UnsupportedJsonValueError extends Error {
  override readonly name = 'UnsupportedJsonValueError';
}

/** A value for the generic writer: plain objects have their keys sorted (Go maps), Maps keep their order (Go structs). */
export type JsonValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue }
  | ReadonlyMap<string, JsonValue>;

interface Frame {
  readonly close: string;
  empty: boolean;
  /** In an object: a key has been written and its value is due. */
  awaitingValue: boolean;
}

const indentUnit = '    ';

export class GoJsonWriter {
  private out = '';
  private readonly frames: Frame[] = [];

  constructor(private readonly pretty: boolean) {}

  toString(): string {
    if (this.frames.length !== 0) throw new Error('GoJsonWriter: unclosed object or array');
    return this.out;
  }

  beginObject(): this {
    return this.open('{', '}');
  }

  beginArray(): this {
    return this.open('[', ']');
  }

  end(): this {
    const frame = this.frames.pop();
    if (frame === undefined || frame.awaitingValue) {
      throw new Error('GoJsonWriter: end() without an open container');
    }
    if (!frame.empty && this.pretty) this.out += `\n${indentUnit.repeat(this.frames.length)}`;
    this.out += frame.close;
    return this;
  }

  key(name: string): this {
    const frame = this.frames.at(-1);
    if (frame === undefined || frame.close !== '}' || frame.awaitingValue) {
      throw new Error('GoJsonWriter: key() outside an object');
    }
    this.separate(frame);
    this.out += quoteJson(name) + (this.pretty ? ': ' : ':');
    frame.awaitingValue = true;
    return this;
  }

  string(value: string): this {
    return this.raw(quoteJson(value));
  }

  integer(value: bigint | number): this {
    return this.raw(typeof value === 'bigint' ? value.toString() : formatGoFloat(value));
  }

  float(value: number): this {
    return this.raw(formatGoFloat(value));
  }

  boolean(value: boolean): this {
    return this.raw(value ? 'true' : 'false');
  }

  null(): this {
    return this.raw('null');
  }

  /** Any JSON value; plain objects are written with sorted keys, Maps in their own order. */
  value(value: JsonValue): this {
    if (value === null) return this.null();
    if (typeof value === 'boolean') return this.boolean(value);
    if (typeof value === 'string') return this.string(value);
    if (typeof value === 'number') return this.float(value);
    if (typeof value === 'bigint') return this.integer(value);
    if (Array.isArray(value)) {
      this.beginArray();
      for (const item of value as readonly JsonValue[]) this.value(item);
      return this.end();
    }
    const entries =
      value instanceof Map
        ? [...(value as ReadonlyMap<string, JsonValue>)]
        : Object.entries(value as { readonly [key: string]: JsonValue }).sort(([a], [b]) =>
            compareGoStrings(a, b),
          );
    this.beginObject();
    for (const [name, member] of entries) this.key(name).value(member);
    return this.end();
  }

  private open(opening: string, close: string): this {
    this.raw(opening);
    this.frames.push({ close, empty: true, awaitingValue: false });
    return this;
  }

  /** Writes one complete value text in the current position. */
  private raw(text: string): this {
    const frame = this.frames.at(-1);
    if (frame !== undefined) {
      if (frame.close === '}') {
        if (!frame.awaitingValue) throw new Error('GoJsonWriter: object member without a key');
        frame.awaitingValue = false;
      } else {
        this.separate(frame);
      }
    } else if (this.out !== '') {
      throw new Error('GoJsonWriter: more than one top-level value');
    }
    this.out += text;
    return this;
  }

  private separate(frame: Frame): void {
    if (!frame.empty) this.out += ',';
    frame.empty = false;
    if (this.pretty) this.out += `\n${indentUnit.repeat(this.frames.length)}`;
  }
}

/**
 * Go's float64 encoding: the shortest representation that reads back as the same double, in exponent form
 * below 1e-6 and from 1e21 up, with a one-digit exponent kept short (`1e-7`, not `1e-07`). JavaScript's
 * Number#toString makes the same choices, except that it drops the sign of negative zero.
 */
export function formatGoFloat(value: number): string {
  if (!Number.isFinite(value)) {
    const shown = Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
    throw new UnsupportedJsonValueError(`json: unsupported value: ${shown}`);
  }
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

// Characters Go escapes in strings with HTML escaping on: control characters, the quote and backslash,
// <, >, &, the two line separators, and (as U+FFFD) anything that is not valid UTF-16 text.
// eslint-disable-next-line no-control-regex
const needsEscape = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** A JSON string literal as Go writes it. */
export function quoteJson(text: string): string {
  if (!needsEscape.test(text)) return `"${text}"`;
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    switch (code) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
      case 0x08:
        out += '\\b';
        continue;
      case 0x0c:
        out += '\\f';
        continue;
      case 0x3c:
      case 0x3e:
      case 0x26:
      case 0x2028:
      case 0x2029:
        out += `\\u${code.toString(16).padStart(4, '0')}`;
        continue;
      default:
        break;
    }
    if (code < 0x20) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      out += text.slice(index, index + 2);
      index += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out += '\\ufffd';
    } else {
      out += text.charAt(index);
    }
  }
  return `${out}"`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Go compares strings byte by byte in UTF-8, which is code point order (UTF-16 unit order differs above U+FFFF). */
export function compareGoStrings(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x === y) continue;
    // A surrogate (U+D800..DFFF, standing for a code point above U+FFFF) sorts after U+E000..FFFF.
    const rank = (code: number): number =>
      code >= 0xd800 && code <= 0xdfff ? code + 0x2000 : code >= 0xe000 ? code - 0x800 : code;
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}
