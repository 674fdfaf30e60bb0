// The requests of the cluster group beyond the single-node ones it reuses: point reads at the levels
// that go through the leader (`linearizable`, `strong`), the rows that grow the database to its measured
// size first, and the query that reads that size back.
import type { PreparedRequest } from './loadgen.js';
import { pointIdFor, pointSelectSql, pointValue } from './workloads.js';

export type ClusterReadLevel = 'linearizable' | 'strong';

export function clusterPointReadRequest(level: ClusterReadLevel, sequence: number): PreparedRequest {
  const id = pointIdFor(sequence);
  return {
    method: 'POST',
    path: `/db/query?level=${level}`,
    body: JSON.stringify([[pointSelectSql, id]]),
    expectation: { kind: 'single-row', value: pointValue(id) },
  };
}

/**
 * Rows of the filling table are large (a kilobyte each) so that the database reaches its size with few
 * statements: the size is what the memory figure needs, and statements are what costs time.
 */
export const fillValueBytes = 1000;
/** Rows per filling request: about a megabyte of JSON, like the 10,000-row batch. */
export const fillRowsPerRequest = 1000;

const fillSchemaSql = 'CREATE TABLE bench_fill (id INTEGER PRIMARY KEY, v TEXT NOT NULL)';
const fillInsertSql = 'INSERT INTO bench_fill(id, v) VALUES(?, ?)';

export function fillSchemaRequest(): PreparedRequest {
  return {
    method: 'POST',
    path: '/db/execute',
    body: JSON.stringify([fillSchemaSql]),
    expectation: { kind: 'no-errors', statements: 1 },
  };
}

/** Request number `requestIndex` of the filling, in one transaction, like a bulk load. */
export function fillRequest(requestIndex: number): PreparedRequest {
  const statements: Array<[string, number, string]> = [];
  for (let row = 0; row < fillRowsPerRequest; row++) {
    const id = requestIndex * fillRowsPerRequest + row + 1;
    statements.push([fillInsertSql, id, `fill-${id}-`.padEnd(fillValueBytes, 'f')]);
  }
  return {
    method: 'POST',
    path: '/db/execute?transaction',
    body: JSON.stringify(statements),
    expectation: { kind: 'execute', statements: fillRowsPerRequest },
  };
}

/** The number of filling requests that brings the filling table to about `bytes` of row data. */
export function fillRequestsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (fillRowsPerRequest * fillValueBytes)));
}

/** SQLite's own answer for the size of the database file, the same for every server. */
export const databaseSizeRequest: PreparedRequest = {
  method: 'POST',
  path: '/db/query?level=none',
  body: JSON.stringify(['SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()']),
  // The size is read from the body by databaseBytesOf; this only checks that one row came back.
  expectation: { kind: 'no-errors', statements: 1 },
};

/** The byte count in the answer to databaseSizeRequest, or undefined when it holds none. */
export function databaseBytesOf(body: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  const first: unknown = Array.isArray(results) ? results[0] : undefined;
  const values = (first as { values?: unknown } | undefined)?.values;
  const row: unknown = Array.isArray(values) ? values[0] : undefined;
  const bytes: unknown = Array.isArray(row) ? row[0] : undefined;
  return typeof bytes === 'number' && Number.isFinite(bytes) ? bytes : undefined;
}
