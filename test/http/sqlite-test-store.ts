// A deliberately small SQLite store (one in-memory connection) behind the HTTP layer, so that the
// differential test can compare the whole API with rqlited before the real state machine exists. It
// follows the obvious rules only (declared types lower-cased, connection-level last_insert_id and
// changes, stop and roll back in a transaction); rqlite's finer type conversions belong to the real
// store and are not imitated here.
import Database from 'better-sqlite3';

import type { ResultValue, Statement, StatementResult, StatementsCommand } from '../../src/command/types.js';
import type { DataStore, QueryOptions, RequestOptions, StatementsResponse } from '../../src/http/store.js';

type Mode = 'write' | 'read' | 'classify';

export class SqliteTestStore implements DataStore {
  private readonly database = new Database(':memory:');
  private index = 1;

  constructor() {
    this.database.defaultSafeIntegers(true);
  }

  close(): void {
    this.database.close();
  }

  execute(command: StatementsCommand): Promise<StatementsResponse> {
    return Promise.resolve(this.run(command.statements, command.transaction, 'write', true));
  }

  query(statements: readonly Statement[], options: QueryOptions): Promise<StatementsResponse> {
    return Promise.resolve(this.run(statements, options.transaction, 'read', options.level === 'strong'));
  }

  request(statements: readonly Statement[], options: RequestOptions): Promise<StatementsResponse> {
    return Promise.resolve(this.run(statements, options.transaction, 'classify', true));
  }

  private run(
    statements: readonly Statement[],
    transaction: boolean,
    mode: Mode,
    logged: boolean,
  ): StatementsResponse {
    const results: StatementResult[] = [];
    if (transaction) this.database.exec('BEGIN');
    for (const statement of statements) {
      const result = this.runOne(statement, mode);
      results.push(result);
      if (transaction && result.kind === 'error') {
        this.database.exec('ROLLBACK');
        return logged ? { results, raftIndex: (this.index += 1) } : { results };
      }
    }
    if (transaction) this.database.exec('COMMIT');
    return logged ? { results, raftIndex: (this.index += 1) } : { results };
  }

  private runOne(statement: Statement, mode: Mode): StatementResult {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const prepared = this.database.prepare(statement.sql);
      const parameters: unknown[] = [...statement.positional];
      if (Object.keys(statement.named).length > 0) parameters.push({ ...statement.named });
      const read = mode === 'read' || (mode === 'classify' && prepared.readonly) || statement.returnsRows;
      if (mode === 'read' && !prepared.readonly) {
        return { kind: 'error', error: 'attempt to change database via query operation' };
      }
      if (read && prepared.reader) {
        const columns = prepared.columns();
        const values = prepared.raw(true).all(...parameters) as unknown[][];
        const rows = values.map((row) => row.map(toResultValue));
        const types = columns.map((column, index) => {
          if (column.type !== null) return column.type.toLowerCase();
          const first = rows[0]?.[index];
          if (typeof first === 'bigint') return 'integer';
          if (typeof first === 'number') return 'real';
          if (typeof first === 'string') return 'text';
          if (first instanceof Uint8Array) return 'blob';
          return '';
        });
        return {
          kind: 'rows',
          columns: columns.map((column) => column.name),
          types,
          rows,
          seconds: seconds(),
        };
      }
      const outcome = prepared.run(...parameters);
      return {
        kind: 'write',
        lastInsertId: BigInt(outcome.lastInsertRowid),
        rowsAffected: BigInt(outcome.changes),
        seconds: seconds(),
      };
    } catch (error) {
      return { kind: 'error', error: error instanceof Error ? error.message : String(error) };
    }
  }
}

function toResultValue(value: unknown): ResultValue {
  if (value === null || typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new Error(`SQLite returned a value of an unexpected type: ${typeof value}`);
}
