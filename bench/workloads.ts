// The work every benchmark subject does, as SQL and as rqlite-style HTTP requests: small INSERTs of one
// row, batches of many INSERTs in one request, and point reads by primary key from a table loaded once.
// The raw SQLite baseline runs exactly these statements, so that the ratios compare like with like.
import type { PreparedRequest } from './loadgen.js';

/** Size of the text value of every written row: a small record, as in a key-value workload. */
export const valueBytes = 64;
/** Rows in the table that point reads read from. */
export const pointRows = 10_000;

export const schemaStatements: readonly string[] = [
  'CREATE TABLE bench_writes (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)',
  'CREATE TABLE bench_points (id INTEGER PRIMARY KEY, v TEXT NOT NULL)',
];
export const insertSql = 'INSERT INTO bench_writes(k, v) VALUES(?, ?)';
export const pointInsertSql = 'INSERT INTO bench_points(id, v) VALUES(?, ?)';
export const pointSelectSql = 'SELECT v FROM bench_points WHERE id = ?';

export type ReadLevel = 'weak' | 'none';

const writtenValue = 'w'.repeat(valueBytes);

export function writeKey(sequence: number): string {
  return `key-${sequence}`;
}

export function writeValue(): string {
  return writtenValue;
}

/** The value stored in point row `id`, so that a read can be checked against what was loaded. */
export function pointValue(id: number): string {
  return `point-${id}-`.padEnd(valueBytes, 'p');
}

// 7919 is prime and does not divide pointRows, so consecutive sequences visit every row once per
// pointRows requests, spread over the table rather than walking it in order.
const pointStride = 7919;

export function pointIdFor(sequence: number): number {
  return 1 + ((sequence * pointStride) % pointRows);
}

export function insertRequest(sequence: number): PreparedRequest {
  return {
    method: 'POST',
    path: '/db/execute',
    body: JSON.stringify([[insertSql, writeKey(sequence), writeValue()]]),
    expectation: { kind: 'execute', statements: 1 },
  };
}

/** One request of `rows` INSERT statements, without `transaction`: each statement stands alone. */
export function batchRequest(rows: number, batchIndex: number): PreparedRequest {
  const statements: Array<[string, string, string]> = [];
  for (let row = 0; row < rows; row++) {
    statements.push([insertSql, writeKey(batchIndex * rows + row), writeValue()]);
  }
  return {
    method: 'POST',
    path: '/db/execute',
    body: JSON.stringify(statements),
    expectation: { kind: 'execute', statements: rows },
  };
}

export function pointReadRequest(level: ReadLevel, sequence: number): PreparedRequest {
  const id = pointIdFor(sequence);
  return {
    method: 'POST',
    path: `/db/query?level=${level}`,
    body: JSON.stringify([[pointSelectSql, id]]),
    expectation: { kind: 'single-row', value: pointValue(id) },
  };
}

export function schemaRequest(): PreparedRequest {
  return {
    method: 'POST',
    path: '/db/execute',
    body: JSON.stringify(schemaStatements),
    expectation: { kind: 'no-errors', statements: schemaStatements.length },
  };
}

/** Loads every point row in one transaction. */
export function pointLoadRequest(): PreparedRequest {
  const statements: Array<[string, number, string]> = [];
  for (let id = 1; id <= pointRows; id++) statements.push([pointInsertSql, id, pointValue(id)]);
  return {
    method: 'POST',
    path: '/db/execute?transaction',
    body: JSON.stringify(statements),
    expectation: { kind: 'execute', statements: pointRows },
  };
}
