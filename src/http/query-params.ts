// Query parameters as rqlite reads them: Go's url.ParseQuery, first value of a repeated key, keys that are
// presence flags whatever their value, and a fixed validation pass whose messages clients see verbatim
// (as a plain-text 400) before any routing happens.
import { DurationSyntaxError, nanosecondsToMs, parseGoDurationNs } from './duration.js';
import { decodeUtf8, quoteGo } from './go-text.js';

/** A query string rqlite would refuse with 400; the message is rqlite's. */
export class QueryParamsError extends Error {
  override readonly name = 'QueryParamsError';
}

/** Read consistency levels, as the client names them. */
export type ReadLevel = 'none' | 'weak' | 'linearizable' | 'strong' | 'auto';

const durationKeys = ['timeout', 'freshness', 'db_timeout', 'linearizable_timeout'] as const;
const integerKeys = ['retries', 'trailing_logs'] as const;
type DurationKey = (typeof durationKeys)[number];

const int64Min = -(1n << 63n);
const int64Max = (1n << 63n) - 1n;

export class QueryParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Parses and validates the raw query (the part of the request target after `?`, still escaped). */
  static parse(rawQuery: string): QueryParams {
    const values = parseGoQuery(rawQuery);
    if (values.has('freshness_strict') && !values.has('freshness')) {
      throw new QueryParamsError('freshness_strict requires freshness');
    }
    for (const key of durationKeys) {
      const value = values.get(key);
      if (value !== undefined && !isGoDuration(value)) {
        throw new QueryParamsError(`${key} is not a valid duration`);
      }
    }
    for (const key of integerKeys) {
      const value = values.get(key);
      if (value !== undefined && !isGoInt(value)) throw new QueryParamsError(`${key} is not a valid integer`);
    }
    if (values.get('q') === '') throw new QueryParamsError('query parameter not set');
    return new QueryParams(values);
  }

  /** Whether the key is present: `?pretty`, `?pretty=false` and `?pretty=` all turn `pretty` on. */
  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  /** The consistency level; unknown or empty values mean `weak`, as rqlite reads them. */
  level(): ReadLevel {
    switch ((this.values.get('level') ?? '').toLowerCase()) {
      case 'none':
        return 'none';
      case 'strong':
        return 'strong';
      case 'auto':
        return 'auto';
      case 'linearizable':
        return 'linearizable';
      default:
        return 'weak';
    }
  }

  /** A validated duration parameter in milliseconds, or the default when absent. */
  durationMs(key: DurationKey, defaultMs: number): number {
    const value = this.values.get(key);
    return value === undefined ? defaultMs : nanosecondsToMs(parseGoDurationNs(value));
  }

  /** A validated integer parameter (retries, trailing_logs), or the default when absent. */
  integer(key: (typeof integerKeys)[number], defaultValue: number): number {
    const value = this.values.get(key);
    return value === undefined ? defaultValue : Number(BigInt(value));
  }
}

function isGoDuration(value: string): boolean {
  try {
    parseGoDurationNs(value);
    return true;
  } catch (error) {
    if (error instanceof DurationSyntaxError) return false;
    throw error;
  }
}

/** strconv.Atoi on a 64-bit platform: an optional sign, decimal digits, within int64. */
function isGoInt(value: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(value)) return false;
  const parsed = BigInt(value);
  return parsed >= int64Min && parsed <= int64Max;
}

/**
 * Go's url.ParseQuery: pairs split on `&`, a `;` anywhere in a pair is an error (the last such error wins,
 * as in Go), otherwise the first malformed escape is; empty pairs are skipped and a pair without `=` has an
 * empty value. Only the first value of each key is kept, which is all rqlite ever reads.
 */
function parseGoQuery(rawQuery: string): Map<string, string> {
  const values = new Map<string, string>();
  let firstError: string | undefined;
  let semicolonError = false;
  for (const pair of rawQuery.split('&')) {
    if (pair.includes(';')) {
      semicolonError = true;
      continue;
    }
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    const key = unescapeQueryComponent(rawKey);
    if (typeof key !== 'string') {
      firstError ??= key.message;
      continue;
    }
    const value = unescapeQueryComponent(rawValue);
    if (typeof value !== 'string') {
      firstError ??= value.message;
      continue;
    }
    if (!values.has(key)) values.set(key, value);
  }
  if (semicolonError) throw new QueryParamsError('invalid semicolon separator in query');
  if (firstError !== undefined) throw new QueryParamsError(firstError);
  return values;
}

/** Go's url.QueryUnescape: `+` is a space, `%XX` a byte; the bytes are then read as UTF-8. */
function unescapeQueryComponent(text: string): string | { message: string } {
  return unescapeGo(text, true);
}

/** Go's url.PathUnescape, used on the request path before routing. */
export function unescapePath(text: string): string | { message: string } {
  return unescapeGo(text, false);
}

function unescapeGo(text: string, plusIsSpace: boolean): string | { message: string } {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text;
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x25 /* % */) {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        return { message: `invalid URL escape ${quoteGo(text.slice(index, index + 3))}` };
      }
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else if (code === 0x2b /* + */ && plusIsSpace) {
      bytes.push(0x20);
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      // Request targets reach us as ASCII (Node's parser refuses other bytes), but a caller may pass any
      // string: encode it rather than truncate it.
      bytes.push(...new TextEncoder().encode(text[index]));
    }
  }
  return decodeUtf8(Uint8Array.from(bytes));
}
