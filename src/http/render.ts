// Statement results as rqlite's JSON, key for key. The rules, all from Go's encoding/json and rqlite's
// result types (`omitempty` everywhere but where noted):
// - the envelope is {results, error, time, sequence_number, raft_index}; `results` is always present;
// - a write is {last_insert_id, rows_affected, time}, zeros omitted (so DDL gives `{}`), and in
//   associative mode it gains `"rows":null` so that clients can tell it from a read;
// - a read is {columns, types, values, time} with empty lists omitted (no `values` without rows), or in
//   associative mode {types, rows, time} with `types` an object and `rows` always present;
// - associative objects are Go maps: keys sorted, a repeated column name keeps its last value;
// - a failed statement is {"error": "..."}, except on /db/query in associative mode, where rqlite's
//   read results carry it as {"rows":[],"error":"..."};
// - BLOBs are standard base64, or arrays of byte values with `blob_array`.
import type { ResultValue, RowsResult, StatementResult, WriteResult } from '../command/types.js';
import { GoJsonWriter, compareGoStrings } from './json-write.js';

/**
 * How results are typed: `rows` for /db/query (rqlite answers with read results only), `mixed` for
 * /db/execute and /db/request (each result is a write, a read or an error).
 */
export type ResultsShape = 'rows' | 'mixed';

export interface RenderOptions {
  readonly pretty: boolean;
  readonly associative: boolean;
  readonly blobArray: boolean;
  /** Include per-statement `time` (the envelope's time is given explicitly). */
  readonly timings: boolean;
}

export interface ResultsEnvelope {
  readonly results: readonly StatementResult[];
  readonly shape: ResultsShape;
  /** A failure of the request as a whole; `results` is then empty. */
  readonly error?: string;
  /** Seconds the request took, with `timings`. */
  readonly seconds?: number;
  readonly sequenceNumber?: bigint;
  readonly raftIndex?: number;
}

/** The response body of /db/execute, /db/query and /db/request. */
export function renderResults(envelope: ResultsEnvelope, options: RenderOptions): string {
  const writer = new GoJsonWriter(options.pretty);
  writer.beginObject().key('results').beginArray();
  for (const result of envelope.results) writeResult(writer, result, envelope.shape, options);
  writer.end();
  if (envelope.error !== undefined && envelope.error !== '') writer.key('error').string(envelope.error);
  if (envelope.seconds !== undefined && envelope.seconds !== 0) writer.key('time').float(envelope.seconds);
  if (envelope.sequenceNumber !== undefined && envelope.sequenceNumber !== 0n) {
    writer.key('sequence_number').integer(envelope.sequenceNumber);
  }
  if (envelope.raftIndex !== undefined && envelope.raftIndex !== 0) {
    writer.key('raft_index').integer(envelope.raftIndex);
  }
  return writer.end().toString();
}

function writeResult(
  writer: GoJsonWriter,
  result: StatementResult,
  shape: ResultsShape,
  options: RenderOptions,
): void {
  switch (result.kind) {
    case 'write':
      writeWrite(writer, result, options);
      return;
    case 'rows':
      if (options.associative) writeAssociativeRows(writer, result, options);
      else writeRows(writer, result, options);
      return;
    case 'error':
      writer.beginObject();
      if (shape === 'rows' && options.associative) writer.key('rows').beginArray().end();
      writer.key('error').string(result.error);
      writer.end();
      return;
  }
}

function writeWrite(writer: GoJsonWriter, result: WriteResult, options: RenderOptions): void {
  writer.beginObject();
  if (result.lastInsertId !== 0n) writer.key('last_insert_id').integer(result.lastInsertId);
  if (result.rowsAffected !== 0n) writer.key('rows_affected').integer(result.rowsAffected);
  writeSeconds(writer, result.seconds, options);
  if (options.associative) writer.key('rows').null();
  writer.end();
}

function writeRows(writer: GoJsonWriter, result: RowsResult, options: RenderOptions): void {
  assertRowsShape(result);
  writer.beginObject();
  if (result.columns.length > 0) {
    writer.key('columns').beginArray();
    for (const column of result.columns) writer.string(column);
    writer.end();
  }
  if (result.types.length > 0) {
    writer.key('types').beginArray();
    for (const type of result.types) writer.string(type);
    writer.end();
  }
  if (result.rows.length > 0) {
    writer.key('values').beginArray();
    for (const row of result.rows) {
      writer.beginArray();
      for (const value of row) writeValue(writer, value, options);
      writer.end();
    }
    writer.end();
  }
  writeSeconds(writer, result.seconds, options);
  writer.end();
}

function writeAssociativeRows(writer: GoJsonWriter, result: RowsResult, options: RenderOptions): void {
  assertRowsShape(result);
  // Go maps: one entry per distinct column name (the last column of that name wins), keys sorted.
  const order = distinctColumnsSorted(result.columns);
  writer.beginObject();
  if (order.length > 0) {
    writer.key('types').beginObject();
    for (const [name, index] of order) writer.key(name).string(result.types[index] ?? '');
    writer.end();
  }
  writer.key('rows').beginArray();
  for (const row of result.rows) {
    writer.beginObject();
    for (const [name, index] of order) {
      writer.key(name);
      writeValue(writer, row[index] ?? null, options);
    }
    writer.end();
  }
  writer.end();
  writeSeconds(writer, result.seconds, options);
  writer.end();
}

/** [column name, index of its last occurrence], sorted as Go sorts map keys. */
function distinctColumnsSorted(columns: readonly string[]): [string, number][] {
  const lastIndex = new Map<string, number>();
  columns.forEach((name, index) => lastIndex.set(name, index));
  return [...lastIndex].sort(([a], [b]) => compareGoStrings(a, b));
}

function writeSeconds(writer: GoJsonWriter, seconds: number, options: RenderOptions): void {
  if (options.timings && seconds !== 0) writer.key('time').float(seconds);
}

function writeValue(writer: GoJsonWriter, value: ResultValue, options: RenderOptions): void {
  if (value === null) writer.null();
  else if (typeof value === 'bigint') writer.integer(value);
  else if (typeof value === 'number') writer.float(value);
  else if (typeof value === 'string') writer.string(value);
  else if (typeof value === 'boolean') writer.boolean(value);
  else if (options.blobArray) {
    writer.beginArray();
    for (const byte of value) writer.integer(byte);
    writer.end();
  } else {
    writer.string(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  }
}

/** A store bug, not a client error: rqlite refuses to encode such a result too. */
function assertRowsShape(result: RowsResult): void {
  if (result.types.length !== result.columns.length) {
    throw new Error('types and columns are different lengths');
  }
  for (const row of result.rows) {
    if (row.length !== result.columns.length) {
      throw new Error('a row has a different length from its columns');
    }
  }
}

/** One statement of /db/sql: the SQL as sent and as it would be logged, or why it cannot be. */
export interface SqlPreview {
  readonly original: string;
  readonly rewritten?: string;
  readonly error?: string;
}

/** The response body of /db/sql: `results` always present, then `time` with `timings`. */
export function renderSqlPreviews(
  previews: readonly SqlPreview[],
  seconds: number | undefined,
  pretty: boolean,
): string {
  const writer = new GoJsonWriter(pretty);
  writer.beginObject().key('results').beginArray();
  for (const preview of previews) {
    writer.beginObject().key('original').string(preview.original);
    if (preview.rewritten !== undefined && preview.rewritten !== '') {
      writer.key('rewritten').string(preview.rewritten);
    }
    if (preview.error !== undefined && preview.error !== '') writer.key('error').string(preview.error);
    writer.end();
  }
  writer.end();
  if (seconds !== undefined && seconds !== 0) writer.key('time').float(seconds);
  return writer.end().toString();
}
