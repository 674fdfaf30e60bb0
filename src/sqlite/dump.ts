// The database as SQL text that rebuilds it, in the order and form of the `sqlite3` shell's `.dump`, so
// that `sqlite3` (or Dust's /db/load) replays it and a dump of the result is the same text:
//
//   PRAGMA foreign_keys=OFF;
//   BEGIN TRANSACTION;
//   each table, in the order it was created (sqlite_sequence last): its CREATE TABLE, then one INSERT
//     per row; a virtual table is written into sqlite_schema directly (writable_schema), its shadow
//     tables as ordinary tables; sqlite_stat tables are recreated by ANALYZE sqlite_schema;
//   the indexes, triggers and views, in the order they were created;
//   COMMIT;
//
// The dump is produced as a sequence of byte chunks from one read-only connection, row by row, so that
// a database of any size is dumped in bounded memory. Names and values are written by dump-literals.ts.
import type Database from 'better-sqlite3';

import { blobLiteral, dumpName, quotedName, quotedText, realLiteral, textLiteral } from './dump-literals.js';

export interface SqlDumpOptions {
  /**
   * Only these tables (their CREATE and rows) and the indexes, triggers and views that belong to them;
   * empty for the whole database. The shadow tables of a listed virtual table are included.
   */
  readonly tables: readonly string[];
  /** Chunks are cut once they reach this many bytes (a single long row may make one larger). */
  readonly chunkBytes: number;
}

interface SchemaRow {
  readonly name: string;
  readonly type: string;
  readonly tableName: string;
  readonly sql: string;
}

/**
 * Yields the dump of the database open on `connection` in chunks of about `chunkBytes`. The connection
 * must not change while the dump runs (use a copy, or a read transaction), and must return integers as
 * bigint (`defaultSafeIntegers`).
 */
export function* sqlDump(connection: Database.Database, options: SqlDumpOptions): Generator<Buffer> {
  const output = new ChunkBuffer(options.chunkBytes);
  const encoding = String(connection.pragma('encoding', { simple: true }));
  // Text values are read as their stored bytes so that text that is not valid UTF-8 survives; a UTF-16
  // database stores other bytes, so its text is read as characters and written as UTF-8.
  const textAsBytes = encoding === 'UTF-8';
  const schema = readSchema(connection);
  const selected = selectObjects(schema, options.tables);

  output.write('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n');
  let writableSchema = false;
  for (const table of selected.tables) {
    if (table.name === 'sqlite_sequence') {
      output.write('DELETE FROM sqlite_sequence;\n');
    } else if (/^sqlite_stat.$/.test(table.name)) {
      output.write('ANALYZE sqlite_schema;\n');
    } else if (table.name.startsWith('sqlite_')) {
      continue;
    } else if (table.sql.startsWith('CREATE VIRTUAL TABLE')) {
      if (!writableSchema) {
        output.write('PRAGMA writable_schema=ON;\n');
        writableSchema = true;
      }
      const name = quotedText(table.name);
      output.write(
        `INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table',${name},${name},0,` +
          `${quotedText(table.sql)});\n`,
      );
      continue;
    } else {
      output.write(`${tableDefinition(table.sql)};\n`);
    }
    yield* writeRows(connection, table.name, textAsBytes, output);
  }
  for (const object of selected.others) {
    // A definition that holds a line comment would swallow the semicolon: it goes on a line of its own.
    output.write(object.sql.includes('--') ? `${object.sql}\n;\n` : `${object.sql};\n`);
  }
  if (writableSchema) output.write('PRAGMA writable_schema=OFF;\n');
  output.write('COMMIT;\n');
  output.end();
  yield* output.takeFull();
}

function readSchema(connection: Database.Database): SchemaRow[] {
  const rows = connection
    .prepare(
      `SELECT name, type, tbl_name, sql FROM sqlite_schema WHERE sql NOT NULL
       ORDER BY type <> 'table', tbl_name = 'sqlite_sequence', rowid`,
    )
    .raw(true)
    .all() as [string, string, string, string][];
  return rows.map(([name, type, tableName, sql]) => ({ name, type, tableName, sql }));
}

/** The tables to dump, in order, and the other objects (indexes, triggers, views) that go after them. */
function selectObjects(
  schema: readonly SchemaRow[],
  wanted: readonly string[],
): { tables: SchemaRow[]; others: SchemaRow[] } {
  const tables = schema.filter((row) => row.type === 'table');
  const others = schema.filter(
    (row) => row.type === 'index' || row.type === 'trigger' || row.type === 'view',
  );
  if (wanted.length === 0) return { tables, others };
  const names = new Set(wanted);
  const virtualNames = tables
    .filter((row) => names.has(row.name) && row.sql.startsWith('CREATE VIRTUAL TABLE'))
    .map((row) => `${row.name}_`);
  const isWanted = (name: string): boolean =>
    names.has(name) || virtualNames.some((prefix) => name.startsWith(prefix));
  return {
    tables: tables.filter((row) => isWanted(row.name)),
    others: others.filter((row) => isWanted(row.tableName)),
  };
}

/**
 * A table's CREATE statement as the shell prints it: a definition ending inside a comment is closed so
 * that the semicolon after it counts, and a quoted table name gets IF NOT EXISTS (the shadow tables of
 * virtual tables are stored that way, and their virtual table may already have created them).
 */
function tableDefinition(sql: string): string {
  let definition = sql;
  if (sql.includes('/*') || sql.includes('--')) definition += commentCloser(sql);
  if (/^CREATE TABLE ['"]/.test(definition)) return `CREATE TABLE IF NOT EXISTS ${definition.slice(13)}`;
  return definition;
}

/** What ends an unterminated comment at the end of `sql`: a newline, `*\/`, or nothing. */
function commentCloser(sql: string): string {
  let index = 0;
  while (index < sql.length) {
    const character = sql[index];
    const next = sql[index + 1];
    if (character === '-' && next === '-') {
      const end = sql.indexOf('\n', index + 2);
      if (end === -1) return '\n';
      index = end + 1;
    } else if (character === '/' && next === '*') {
      const end = sql.indexOf('*/', index + 2);
      if (end === -1) return '*/';
      index = end + 2;
    } else if (character === "'" || character === '"' || character === '`' || character === '[') {
      const close = character === '[' ? ']' : character;
      const end = sql.indexOf(close, index + 1);
      if (end === -1) return '';
      index = end + 1;
    } else {
      index++;
    }
  }
  return '';
}

function* writeRows(
  connection: Database.Database,
  table: string,
  textAsBytes: boolean,
  output: ChunkBuffer,
): Generator<Buffer> {
  const columns = (
    connection.prepare('SELECT name FROM pragma_table_info(?)').raw(true).all(table) as [string][]
  ).map(([name]) => quotedName(name));
  if (columns.length === 0) return;
  // Each column twice: its type, and its value, with text as stored bytes where that is exact.
  const selectList = columns
    .map((column) =>
      textAsBytes
        ? `typeof(${column}), CASE typeof(${column}) WHEN 'text' THEN CAST(${column} AS BLOB) ELSE ${column} END`
        : `typeof(${column}), ${column}`,
    )
    .join(', ');
  const rows = connection.prepare(`SELECT ${selectList} FROM ${quotedName(table)}`).raw(true);
  const prefix = `INSERT INTO ${dumpName(table)} VALUES(`;
  for (const row of rows.iterate() as IterableIterator<unknown[]>) {
    output.write(prefix);
    for (let column = 0; column < row.length; column += 2) {
      if (column > 0) output.write(',');
      writeValue(output, row[column] as string, row[column + 1]);
    }
    output.write(');\n');
    // Full chunks leave between rows; the statement stays open meanwhile, at its row.
    yield* output.takeFull();
  }
}

function writeValue(output: ChunkBuffer, type: string, value: unknown): void {
  switch (type) {
    case 'null':
      return output.write('NULL');
    case 'integer':
      return output.write(String(value)); // a bigint (or a number if safe integers are off)
    case 'real':
      return output.write(realLiteral(Number(value)));
    case 'blob':
      return output.write(blobLiteral(value as Uint8Array));
    case 'text': {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : (value as Buffer);
      // Most text needs no escaping: it goes out between quotes as it is, without a copy.
      if (!needsEscaping(bytes)) {
        output.write("'");
        output.write(bytes);
        output.write("'");
        return;
      }
      return output.write(textLiteral(bytes));
    }
    default:
      throw new Error(`dump: SQLite reported a value of unknown type ${type}`);
  }
}

// Four native searches are faster than one loop over the bytes in JavaScript.
function needsEscaping(bytes: Buffer): boolean {
  return bytes.includes(0x27) || bytes.includes(0x0a) || bytes.includes(0x0d) || bytes.includes(0);
}

/**
 * Collects small writes into chunks of about `chunkBytes`. Full chunks wait in a list until taken, which
 * the dump does after every row, so at most one row's worth of chunks is ever held.
 */
class ChunkBuffer {
  private buffer: Buffer;
  private filled = 0;
  private full: Buffer[] = [];

  constructor(private readonly chunkBytes: number) {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
      throw new RangeError(`dump: chunkBytes must be a positive integer, got ${chunkBytes}`);
    }
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  write(data: string | Buffer): void {
    if (typeof data === 'string') {
      // Most writes are short ASCII; they are copied in place without an intermediate buffer.
      if (this.filled + data.length * 3 <= this.chunkBytes) {
        this.filled += this.buffer.write(data, this.filled, 'utf8');
        return;
      }
      this.write(Buffer.from(data, 'utf8'));
      return;
    }
    if (this.filled + data.length > this.chunkBytes) this.end();
    if (data.length >= this.chunkBytes) {
      this.full.push(Buffer.from(data));
      return;
    }
    data.copy(this.buffer, this.filled);
    this.filled += data.length;
  }

  /** Closes the chunk being filled, if it holds anything. */
  end(): void {
    if (this.filled === 0) return;
    this.full.push(this.buffer.subarray(0, this.filled));
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.filled = 0;
  }

  *takeFull(): Generator<Buffer> {
    const taken = this.full;
    this.full = [];
    yield* taken;
  }
}
