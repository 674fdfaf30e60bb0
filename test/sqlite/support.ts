// Helpers shared by the state machine's tests: building commands, temporary directories, and writing
// results in rqlite's JSON form so that they can be compared with a real rqlited's answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type {
  ResultValue,
  SqlValue,
  Statement,
  StatementResult,
  StatementsCommand,
  StatementsMode,
} from '../../src/command/types.js';

export function statement(
  sql: string,
  options: { positional?: SqlValue[]; named?: Record<string, SqlValue>; returnsRows?: boolean } = {},
): Statement {
  return {
    sql,
    positional: options.positional ?? [],
    named: options.named ?? {},
    returnsRows: options.returnsRows ?? /\breturning\b/iu.test(sql),
  };
}

export function statements(
  mode: StatementsMode,
  list: readonly (string | Statement)[],
  transaction = false,
): StatementsCommand {
  return {
    kind: 'statements',
    mode,
    transaction,
    statements: list.map((item) => (typeof item === 'string' ? statement(item) : item)),
  };
}

/** A fresh temporary directory and the function that removes it. */
export function temporaryDirectory(): { readonly path: string; readonly remove: () => void } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-sqlite-test-'));
  return { path: directory, remove: () => fs.rmSync(directory, { recursive: true, force: true }) };
}

/** A JSON number kept as its text, so that int64 values and float formatting compare exactly. */
export interface NumberText {
  readonly numberText: string;
}

export type Canonical = null | boolean | string | NumberText | Canonical[] | { [key: string]: Canonical };

/** A statement result as rqlite renders it in JSON (without timings), numbers kept as text. */
export function rqliteShape(result: StatementResult): Canonical {
  switch (result.kind) {
    case 'error':
      return { error: result.error };
    case 'write': {
      const shape: Record<string, Canonical> = {};
      if (result.lastInsertId !== 0n) shape['last_insert_id'] = { numberText: String(result.lastInsertId) };
      if (result.rowsAffected !== 0n) shape['rows_affected'] = { numberText: String(result.rowsAffected) };
      return shape;
    }
    case 'rows': {
      const shape: Record<string, Canonical> = {};
      if (result.columns.length > 0) shape['columns'] = [...result.columns];
      if (result.types.length > 0) shape['types'] = [...result.types];
      if (result.rows.length > 0) shape['values'] = result.rows.map((row) => row.map(valueShape));
      return shape;
    }
  }
}

function valueShape(value: ResultValue): Canonical {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return { numberText: String(value) };
  if (typeof value === 'number') return { numberText: JSON.stringify(value) };
  return Buffer.from(value).toString('base64');
}

/** Parses JSON keeping every number as its source text. */
export function parseJsonKeepingNumbers(text: string): Canonical {
  let position = 0;
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at ${position}: ${what}: ${text.slice(position, position + 40)}`);
  };
  const skipSpace = (): void => {
    while (position < text.length && ' \t\r\n'.includes(text[position]!)) position++;
  };
  const parseValue = (): Canonical => {
    skipSpace();
    const c = text[position];
    if (c === '{') {
      position++;
      const object: Record<string, Canonical> = {};
      skipSpace();
      if (text[position] === '}') {
        position++;
        return object;
      }
      for (let guard = 0; guard < text.length; guard++) {
        skipSpace();
        const key = parseValue();
        if (typeof key !== 'string') fail('object key');
        skipSpace();
        if (text[position++] !== ':') fail('colon');
        object[key as string] = parseValue();
        skipSpace();
        const next = text[position++];
        if (next === '}') return object;
        if (next !== ',') fail('comma in object');
      }
      return fail('object');
    }
    if (c === '[') {
      position++;
      const array: Canonical[] = [];
      skipSpace();
      if (text[position] === ']') {
        position++;
        return array;
      }
      for (let guard = 0; guard < text.length; guard++) {
        array.push(parseValue());
        skipSpace();
        const next = text[position++];
        if (next === ']') return array;
        if (next !== ',') fail('comma in array');
      }
      return fail('array');
    }
    if (c === '"') {
      const start = position;
      position++;
      while (position < text.length && text[position] !== '"') position += text[position] === '\\' ? 2 : 1;
      position++;
      return JSON.parse(text.slice(start, position)) as string;
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, position)) {
        position += word.length;
        return value;
      }
    }
    const number = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/u.exec(text.slice(position));
    if (number === null) return fail('value');
    position += number[0].length;
    return { numberText: number[0] };
  };
  const value = parseValue();
  skipSpace();
  if (position !== text.length) fail('trailing text');
  return value;
}

/** A stable text form of a canonical value, for equality checks with readable failure output. */
export function canonicalText(value: Canonical): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && 'numberText' in item
      ? `#${(item as NumberText).numberText}`
      : item,
  );
}
