// A JSON reader that keeps 64-bit integers exact. SQLite integers go up to 2^63-1 and the node sends them
// as plain JSON numbers; JSON.parse would silently round anything past 2^53, and a database shell must
// not show a different number from the one stored.

export type JsonValue = null | boolean | number | bigint | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

const nestingDepthMax = 512;

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isJsonArray(value: JsonValue | undefined): value is readonly JsonValue[] {
  return Array.isArray(value);
}

const numberPattern = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Reader {
  private position = 0;

  constructor(private readonly text: string) {}

  readDocument(): JsonValue {
    const value = this.readValue(0);
    this.skipWhitespace();
    if (this.position !== this.text.length) this.fail('unexpected text after the value');
    return value;
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.position}`);
  }

  private skipWhitespace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.position += 1;
    }
  }

  private readValue(depth: number): JsonValue {
    if (depth > nestingDepthMax) this.fail(`nesting deeper than ${nestingDepthMax}`);
    this.skipWhitespace();
    const char = this.text[this.position];
    switch (char) {
      case '{':
        return this.readObject(depth);
      case '[':
        return this.readArray(depth);
      case '"':
        return this.readString();
      case 't':
        return this.readLiteral('true', true);
      case 'f':
        return this.readLiteral('false', false);
      case 'n':
        return this.readLiteral('null', null);
      case undefined:
        return this.fail('unexpected end of text');
      default:
        return this.readNumber();
    }
  }

  private readLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) this.fail('invalid literal');
    this.position += word.length;
    return value;
  }

  private readNumber(): number | bigint {
    numberPattern.lastIndex = this.position;
    const match = numberPattern.exec(this.text);
    if (match === null) this.fail('expected a value');
    this.position += match[0].length;
    const isInteger = match[1] === undefined && match[2] === undefined;
    const asNumber = Number(match[0]);
    if (isInteger && !Number.isSafeInteger(asNumber)) return BigInt(match[0]);
    return asNumber;
  }

  private readString(): string {
    const text = this.text;
    const start = this.position;
    let index = start + 1;
    let escaped = false;
    while (index < text.length) {
      const code = text.charCodeAt(index);
      if (code === 0x22) break;
      if (code === 0x5c) {
        escaped = true;
        index += 2;
        continue;
      }
      if (code < 0x20) {
        this.position = index;
        this.fail('control character in string');
      }
      index += 1;
    }
    if (index >= text.length) this.fail('unterminated string');
    this.position = index + 1;
    if (!escaped) return text.slice(start + 1, index);
    try {
      return JSON.parse(text.slice(start, index + 1)) as string;
    } catch {
      this.position = start;
      return this.fail('invalid escape in string');
    }
  }

  private readArray(depth: number): JsonValue[] {
    this.position += 1;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position += 1;
      return items;
    }
    for (;;) {
      items.push(this.readValue(depth + 1));
      this.skipWhitespace();
      const char = this.text[this.position];
      this.position += 1;
      if (char === ']') return items;
      if (char !== ',') this.fail('expected , or ] in array');
    }
  }

  private readObject(depth: number): JsonObject {
    this.position += 1;
    // A prototype-less object, so that a key such as "__proto__" is just a key.
    const result = Object.create(null) as Record<string, JsonValue>;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position += 1;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail('expected a string key in object');
      const key = this.readString();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail('expected : in object');
      this.position += 1;
      result[key] = this.readValue(depth + 1);
      this.skipWhitespace();
      const char = this.text[this.position];
      this.position += 1;
      if (char === '}') return result;
      if (char !== ',') this.fail('expected , or } in object');
    }
  }
}

/** Parses JSON text; integers beyond 2^53 come back as bigint. Throws JsonSyntaxError. */
export function parseJson(text: string): JsonValue {
  return new Reader(text).readDocument();
}

/** Writes a value as compact JSON (bigint as a plain integer). */
export function stringifyJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (isJsonArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
  const parts = Object.keys(value).map(
    (key) => `${JSON.stringify(key)}:${stringifyJson(value[key] ?? null)}`,
  );
  return `{${parts.join(',')}}`;
}
