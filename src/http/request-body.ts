// The statements of a request body (/db/execute, /db/query, /db/request, /db/sql), read as rqlite reads
// them. rqlite walks the body with Go's streaming JSON decoder, one array element at a time, and stops at
// the first element it cannot use; which error a malformed body gets depends on that order, so this parser
// keeps it: an element that is not a statement is "invalid request" even when the bytes after it are
// garbage, and nothing after the closing bracket of the outer array is ever read.
import { noNamedValues, type SqlValue } from '../command/types.js';
import { trimGoSpace } from './go-text.js';
import { JsonNumber, JsonReader, JsonSyntaxError, type JsonParsed } from './json-read.js';

/** One statement as the client sent it, before rewriting. */
export interface ParsedStatement {
  readonly sql: string;
  readonly positional: readonly SqlValue[];
  readonly named: Readonly<Record<string, SqlValue>>;
}

/** A body rqlite would refuse with 400 (or ours refuses for a limit, with 413); the message is the client's to see. */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

export const invalidJson = 'invalid JSON body';
export const invalidRequest = 'invalid request';
export const noStatements = 'no statements';
export const unsupportedType = 'unsupported type';

const int64Min = -(1n << 63n);
const int64Max = (1n << 63n) - 1n;

/**
 * Parses a JSON statements body. Throws RequestBodyError with rqlite's message for every malformed body,
 * and with 413 when the body holds more than `statementsMax` statements.
 */
export function parseStatementsBody(body: Uint8Array, statementsMax: number): ParsedStatement[] {
  try {
    return readStatements(new JsonReader(body), statementsMax);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new RequestBodyError(invalidJson);
    throw error;
  }
}

function readStatements(reader: JsonReader, statementsMax: number): ParsedStatement[] {
  const first = reader.peek();
  if (first === -1) throw new RequestBodyError(invalidJson);
  if (first !== 0x5b /* [ */) {
    // Go's decoder hands back `{` as a delimiter without reading further, and reads any other value whole:
    // a well-formed value that is not an array is "invalid request", a broken one "invalid JSON".
    if (
      first === 0x5d /* ] */ ||
      first === 0x7d /* } */ ||
      first === 0x2c /* , */ ||
      first === 0x3a /* : */
    ) {
      throw new RequestBodyError(invalidJson);
    }
    if (first !== 0x7b /* { */) reader.readValue();
    throw new RequestBodyError(invalidRequest);
  }
  reader.advance();

  const statements: ParsedStatement[] = [];
  let afterElement = false;
  for (;;) {
    const next = reader.peek();
    if (next === -1) throw new RequestBodyError(invalidJson);
    if (next === 0x5d /* ] */) {
      if (!afterElement && statements.length > 0) throw new RequestBodyError(invalidJson);
      break;
    }
    if (afterElement) {
      if (next !== 0x2c /* , */) throw new RequestBodyError(invalidJson);
      reader.advance();
      const element = reader.peek();
      if (element === 0x5d || element === 0x7d || element === 0x2c || element === 0x3a || element === -1) {
        throw new RequestBodyError(invalidJson);
      }
    } else if (next === 0x7d || next === 0x2c || next === 0x3a) {
      throw new RequestBodyError(invalidJson);
    }
    if (statements.length === statementsMax) {
      throw new RequestBodyError(
        `too many statements in one request: the limit is ${statementsMax}; split the request`,
        413,
      );
    }
    statements.push(readStatement(reader));
    afterElement = true;
  }
  if (statements.length === 0) throw new RequestBodyError(noStatements);
  return statements;
}

/** One element of the outer array: a SQL string, or an array of the SQL string and its parameters. */
function readStatement(reader: JsonReader): ParsedStatement {
  const first = reader.peek();
  if (first === 0x22 /* " */) return { sql: reader.readString(), positional: [], named: {} };
  if (first !== 0x5b /* [ */) {
    if (first !== 0x7b /* { */) reader.readValue();
    throw new RequestBodyError(invalidRequest);
  }
  reader.advance();

  // All items are read before any is interpreted, as rqlite does: a syntax error anywhere in the inner
  // array wins over a bad parameter in it. The SQL text of a batch is usually the same in every
  // statement, and is then read once.
  let sql: JsonParsed | undefined;
  const parameters: JsonParsed[] = [];
  for (;;) {
    const next = reader.peek();
    if (next === -1 || next === 0x7d /* } */) throw new RequestBodyError(invalidJson);
    if (next === 0x5d /* ] */) {
      reader.advance();
      break;
    }
    if (sql === undefined) {
      sql = next === 0x22 /* " */ ? reader.readRepeatedString() : reader.readValue();
      continue;
    }
    reader.expect(0x2c /* , */, "',' after array element");
    parameters.push(reader.readValue());
  }

  if (typeof sql !== 'string') throw new RequestBodyError(invalidRequest);
  const positional: SqlValue[] = [];
  let named: [string, SqlValue][] | undefined;
  for (const parameter of parameters) {
    if (parameter instanceof Map) {
      named ??= [];
      for (const [name, value] of parameter as ReadonlyMap<string, JsonParsed>) {
        named.push([name, toSqlValue(value)]);
      }
    } else {
      positional.push(toSqlValue(parameter));
    }
  }
  // Object.fromEntries defines each name as an own data property, so a parameter called `__proto__` is
  // just a parameter; a name given twice keeps its last value.
  return { sql, positional, named: named === undefined ? noNamedValues : Object.fromEntries(named) };
}

/**
 * A JSON parameter as a SQL value, as rqlite maps it: an integer literal that fits int64 is INTEGER, any
 * other number REAL (an infinite one is refused), booleans are 1 and 0, `x'..'` strings and arrays of
 * bytes are BLOBs, objects are refused.
 */
function toSqlValue(value: JsonParsed): SqlValue {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'string') return blobFromHexLiteral(value) ?? value;
  if (value instanceof JsonNumber) {
    const integer = parseInt64(value.text);
    if (integer !== undefined) return integer;
    const real = Number(value.text);
    if (!Number.isFinite(real)) throw new RequestBodyError(`invalid number ${value.text}`);
    return real;
  }
  if (Array.isArray(value)) return blobFromByteArray(value as readonly JsonParsed[]);
  throw new RequestBodyError(`${unsupportedType} ${goTypeName(value)}`);
}

/** strconv.ParseInt(text, 10, 64) on a JSON number literal. */
function parseInt64(text: string): bigint | undefined {
  if (!/^-?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= int64Min && value <= int64Max ? value : undefined;
}

/** SQLite's blob literal `x'ABCD'` (any case, white space around it ignored), or undefined. */
function blobFromHexLiteral(text: string): Uint8Array | undefined {
  const trimmed = trimGoSpace(text);
  if (trimmed.length < 3 || (trimmed[0] !== 'x' && trimmed[0] !== 'X')) return undefined;
  if (trimmed[1] !== "'" || !trimmed.endsWith("'")) return undefined;
  const hex = trimmed.slice(2, -1);
  if (hex.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function blobFromByteArray(items: readonly JsonParsed[]): Uint8Array {
  const bytes = new Uint8Array(items.length);
  items.forEach((item, index) => {
    if (!(item instanceof JsonNumber)) throw new RequestBodyError(`${unsupportedType} ${goTypeName(item)}`);
    const byte = parseInt64(item.text);
    if (byte === undefined || byte < 0n || byte > 255n) {
      throw new RequestBodyError(`${unsupportedType} ${item.text}`);
    }
    bytes[index] = Number(byte);
  });
  return bytes;
}

/** The Go type name rqlite prints (with %T) for a decoded JSON value it cannot bind. */
function goTypeName(value: JsonParsed): string {
  if (value === null) return '<nil>';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (value instanceof JsonNumber) return 'json.Number';
  if (value instanceof Map) return 'map[string]interface {}';
  return '[]interface {}';
}
