// The shapes of the node's answers to SQL (`/db/request`, `/db/execute`, `/db/query`, `/db/load`), read
// from untrusted JSON into typed values once, so that the renderers never guess.
import { ResponseFormatError } from './errors.js';
import type { JsonValue } from './json-value.js';
import { isJsonArray, isJsonObject, JsonSyntaxError, parseJson, stringifyJson } from './json-value.js';

/** Rows returned by a read (or a write with RETURNING). */
export interface RowsResult {
  readonly kind: 'rows';
  readonly columns: readonly string[];
  readonly types: readonly string[];
  readonly values: readonly (readonly JsonValue[])[];
  readonly timeSeconds: number | undefined;
}

export interface WriteResult {
  readonly kind: 'write';
  readonly lastInsertId: number | bigint;
  readonly rowsAffected: number | bigint;
  readonly timeSeconds: number | undefined;
}

/** A statement the node could not execute; `message` is SQLite's (or the node's) own words. */
export interface StatementErrorResult {
  readonly kind: 'error';
  readonly message: string;
}

export type StatementResult = RowsResult | WriteResult | StatementErrorResult;

export interface SqlResponse {
  readonly results: readonly StatementResult[];
  /** A request-level failure (`leader not found`, `stale read`, ...), reported with HTTP 200. */
  readonly error: string | undefined;
}

function integerField(value: JsonValue | undefined, name: string): number | bigint {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return value;
  throw new ResponseFormatError(`the node sent a non-integer ${name}`);
}

function secondsField(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function stringList(value: JsonValue | undefined, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!isJsonArray(value)) throw new ResponseFormatError(`the node sent ${name} that is not a list`);
  return value.map((item) => (typeof item === 'string' ? item : stringifyJson(item)));
}

function readStatementResult(value: JsonValue): StatementResult {
  if (!isJsonObject(value)) throw new ResponseFormatError('the node sent a result that is not an object');
  const error = value.error;
  if (typeof error === 'string' && error !== '') return { kind: 'error', message: error };
  if ('columns' in value || 'values' in value || 'types' in value) {
    const columns = stringList(value.columns, 'columns');
    const rawValues = value.values;
    const values: (readonly JsonValue[])[] = [];
    if (rawValues !== undefined && rawValues !== null) {
      if (!isJsonArray(rawValues)) throw new ResponseFormatError('the node sent values that are not a list');
      for (const row of rawValues) {
        if (!isJsonArray(row)) throw new ResponseFormatError('the node sent a row that is not a list');
        values.push(row);
      }
    }
    return {
      kind: 'rows',
      columns,
      types: stringList(value.types, 'types'),
      values,
      timeSeconds: secondsField(value.time),
    };
  }
  return {
    kind: 'write',
    lastInsertId: integerField(value.last_insert_id, 'last_insert_id'),
    rowsAffected: integerField(value.rows_affected, 'rows_affected'),
    timeSeconds: secondsField(value.time),
  };
}

/** Reads a JSON body of the `{"results": [...], "error": "..."}` family. Throws ResponseFormatError. */
export function parseSqlResponse(body: string): SqlResponse {
  let document: JsonValue;
  try {
    document = parseJson(body);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      const start = body.trim().slice(0, 200);
      throw new ResponseFormatError(`the node sent a response that is not JSON (${error.message}): ${start}`);
    }
    throw error;
  }
  if (!isJsonObject(document))
    throw new ResponseFormatError('the node sent a response that is not a JSON object');
  const error = typeof document.error === 'string' && document.error !== '' ? document.error : undefined;
  const rawResults = document.results;
  if (rawResults === undefined || rawResults === null) return { results: [], error };
  if (!isJsonArray(rawResults)) throw new ResponseFormatError('the node sent results that are not a list');
  return { results: rawResults.map(readStatementResult), error };
}
