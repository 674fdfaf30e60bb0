// The state machine: one SQLite database to which committed commands are applied in log order, on one
// write connection, with reads served from separate read-only connections. See DESIGN.md.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';

import Database from 'better-sqlite3';

import type { Command, Statement, StatementResult, StatementsCommand } from '../command/types.js';
import { ApplyGate } from './apply-gate.js';
import { applyAsGroup, GroupingCheck } from './grouped-apply.js';
import { Connection, type DatabaseLocation } from './connection.js';
import { CommandFailedError, SqliteStateMachineError, invariant } from './errors.js';
import { checkImageHeader, imageHeaderBytes, isImageProblem } from './image-check.js';
import { setRollbackJournalForm, toRollbackJournalImage } from './image.js';
import { PointReadClassifier } from './point-read.js';
import { classifyStatement, runForRows, runForWrite, runOnReadPath } from './runner.js';

export interface SqliteDatabaseOptions {
  /** `memory`: a database shared by this process's connections; `disk`: a file at `path`. */
  readonly mode: 'memory' | 'disk';
  /** The database file, required on disk. Its directory must exist. */
  readonly path?: string;
  /** Enforce foreign keys (rqlited's -fk). Off by default in rqlite, and so in Dust. */
  readonly foreignKeys: boolean;
}

export interface QueryOptions {
  /** Run the statements in one read transaction, so that they all see the same state. */
  readonly transaction: boolean;
}

/** Where read connections find the database; it changes when a restore replaces the database. */
export interface ReadTarget {
  readonly location: DatabaseLocation;
  readonly foreignKeys: boolean;
  /** Counts restores: a reader whose generation is older must reopen. */
  readonly generation: number;
}

/** What /status reports about SQLite (store.sqlite3), before the HTTP layer names the keys. */
export interface SqliteStatus {
  readonly mode: 'memory' | 'disk';
  /** The database file, or ":memory:". */
  readonly path: string;
  /** page_count * page_size: the size of the database proper. */
  readonly sizeBytes: number;
  /** Bytes of the file on disk (equal to sizeBytes in memory). */
  readonly fileSizeBytes: number;
  /** Bytes of the WAL file on disk; 0 in memory. */
  readonly walSizeBytes: number;
  /** PRAGMA values of the write (rw) and read (ro) connections, as strings, as rqlite reports them. */
  readonly pragmas: {
    readonly rw: Readonly<Record<string, string>>;
    readonly ro: Readonly<Record<string, string>>;
  };
  readonly compileOptions: readonly string[];
  readonly version: string;
  /** Open connections of this object (read workers report their own). */
  readonly connections: { readonly rw: number; readonly ro: number };
  readonly foreignKeys: boolean;
}

const statusPragmas = [
  'synchronous',
  'journal_mode',
  'foreign_keys',
  'wal_autocheckpoint',
  'busy_timeout',
] as const;
// The write connection waits this long for a lock before answering "database is locked". Nothing but
// read workers' checkpoints can hold it up on disk, and in memory the read gate keeps readers away.
const writeBusyTimeoutMs = 5000;
// The main thread's read connection must not stall the event loop. In memory, a client's open write
// transaction makes reads fail at once with "database is locked" rather than wait; on disk, WAL readers
// wait only for a crashed writer's recovery, which is short.
function readBusyTimeoutMs(mode: 'memory' | 'disk'): number {
  return mode === 'memory' ? 0 : writeBusyTimeoutMs;
}

export class SqliteDatabase {
  readonly mode: 'memory' | 'disk';
  readonly foreignKeys: boolean;
  /** Shared with read workers: see apply-gate.ts. */
  readonly gate = new ApplyGate();
  private readonly path: string | undefined;
  private readonly memoryName = `dust-${process.pid}-${randomUUID()}`;
  private generation = 0;
  private writer: Connection;
  private reader: Connection;
  private closed = false;
  private readonly pointReads = new PointReadClassifier(() => this.reader);
  private readonly grouping = new GroupingCheck(() => this.writer);
  private readonly targetListeners = new Set<(target: ReadTarget) => void>();

  constructor(options: SqliteDatabaseOptions) {
    this.mode = options.mode;
    this.foreignKeys = options.foreignKeys;
    if (options.mode === 'disk') {
      if (options.path === undefined || options.path === '') {
        throw new SqliteStateMachineError('invalid_options', 'an on-disk database needs a file path');
      }
      this.path = options.path;
    } else if (options.path !== undefined) {
      throw new SqliteStateMachineError('invalid_options', 'an in-memory database takes no file path');
    }
    this.writer = this.openConnection('write');
    this.reader = this.openConnection('read');
  }

  /** Removes an on-disk database and its WAL and shared-memory files, before rebuilding it. */
  static removeFiles(path: string): void {
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(path + suffix, { force: true });
  }

  /** Where read connections open the database now. */
  get readTarget(): ReadTarget {
    return { location: this.location(), foreignKeys: this.foreignKeys, generation: this.generation };
  }

  /** Calls `listener` after every restore with the new target; returns the unsubscribe function. */
  onReadTargetChange(listener: (target: ReadTarget) => void): () => void {
    this.targetListeners.add(listener);
    return () => this.targetListeners.delete(listener);
  }

  /** Whether a client's explicit transaction (BEGIN without COMMIT) is open on the write connection. */
  get inTransaction(): boolean {
    return this.writer.inTransaction;
  }

  /**
   * Applies one committed command on the write connection and returns one result per statement. A
   * failure of the command as a whole (a transaction that cannot commit) is thrown as CommandFailedError;
   * like everything else here it happens identically on every node.
   */
  apply(command: Command): StatementResult[] {
    this.assertOpen();
    switch (command.kind) {
      case 'noop':
        return [];
      case 'load':
        return this.applyLoad(command.database);
      case 'statements':
        return this.changing(() => this.applyStatements(command));
    }
  }

  /**
   * Applies commands in log order, as apply() applies each, and returns each one's results, or the
   * CommandFailedError apply() would have thrown for it. Consecutive commands of statements that ask
   * for no transaction of their own (concurrent clients' small writes, committed together) run inside
   * one SQLite transaction where grouped-apply.ts finds that changes nothing a client can see: one
   * commit for all of them instead of one per statement.
   */
  applyEach(commands: readonly Command[]): (StatementResult[] | CommandFailedError)[] {
    this.assertOpen();
    const outcomes: (StatementResult[] | CommandFailedError)[] = [];
    let index = 0;
    while (index < commands.length) {
      const run: StatementsCommand[] = [];
      for (let next = commands[index]; next !== undefined && joinsGroups(next); next = commands[++index]) {
        run.push(next);
      }
      if (run.length === 0) {
        outcomes.push(this.applyOrFailure(commands[index++]!));
        continue;
      }
      const grouped = run.length > 1 ? this.changing(() => this.applyRunAsGroup(run)) : undefined;
      if (grouped !== undefined) outcomes.push(...grouped);
      else for (const command of run) outcomes.push(this.applyOrFailure(command));
    }
    return outcomes;
  }

  /** Whether every statement is a bounded point read, cheap enough to run on this thread (point-read.ts). */
  arePointReads(statements: readonly Statement[]): boolean {
    this.assertOpen();
    return statements.every((statement) => this.pointReads.isPointRead(statement.sql));
  }

  /**
   * Runs statements on the read-only connection: a local read (levels none, weak, linearizable). A
   * statement that would write fails with rqlite's "attempt to change database via query operation".
   */
  query(statements: readonly Statement[], options: QueryOptions): StatementResult[] {
    this.assertOpen();
    return runReads(this.reader, statements, options);
  }

  /**
   * Whether SQLite deems the statement read-only (sqlite3_stmt_readonly), which decides how /db/request
   * serves it. A statement that does not compile counts as a write, as in rqlite: it then goes through
   * the log and fails there with its error.
   */
  isReadOnly(statement: Pick<Statement, 'sql'>): boolean {
    this.assertOpen();
    if (statement.sql === '') return true;
    const classified = classifyStatement(this.reader, statement.sql);
    return 'readOnly' in classified && classified.readOnly;
  }

  /**
   * The database image now, in rollback-journal form. Refused while a client's explicit transaction is
   * open: its effects would be half in the image and half in the log after it.
   */
  snapshot(): Uint8Array {
    this.assertOpen();
    if (this.writer.inTransaction) {
      throw new SqliteStateMachineError(
        'transaction_open',
        'cannot snapshot while a transaction opened by a client (BEGIN without COMMIT) is open; retry after it ends',
      );
    }
    // serialize() reads every page through SQLite, the WAL included, under one read transaction, into
    // a buffer of our own, which is therefore put in rollback-journal form without another copy.
    return setRollbackJournalForm(this.writer.raw.serialize());
  }

  /**
   * Replaces the whole database with `image` for every connection, read workers included (they reopen
   * on the new target). Throws an `invalid_image` error, leaving the database as it was, when the image
   * is not a usable SQLite database.
   */
  restore(image: Uint8Array): void {
    this.assertOpen();
    this.changing(() => this.replaceWith(openImage(image)));
  }

  /**
   * Replaces the whole database with the database file at `sourcePath`, with restore()'s guarantees,
   * without the image ever being in memory: SQLite copies it page by page. The file must be the
   * caller's own and used by nobody else: its header is put in rollback-journal form in place, so that
   * it opens read-only without a WAL. It is left where it is for the caller to remove.
   */
  restoreFromFile(sourcePath: string): void {
    this.assertOpen();
    this.changing(() => this.replaceWith(openImageFile(sourcePath)));
  }

  status(): SqliteStatus {
    this.assertOpen();
    const pageCount = Number(this.reader.single('PRAGMA page_count')[0]);
    const pageSize = Number(this.reader.single('PRAGMA page_size')[0]);
    const sizeBytes = pageCount * pageSize;
    const compileOptions = (this.reader.prepare('PRAGMA compile_options').raw(true).all() as unknown[][]).map(
      (row) => String(row[0]),
    );
    return {
      mode: this.mode,
      path: this.path ?? ':memory:',
      sizeBytes,
      fileSizeBytes: this.path === undefined ? sizeBytes : fileSize(this.path),
      walSizeBytes: this.path === undefined ? 0 : fileSize(this.path + '-wal'),
      pragmas: { rw: pragmaValues(this.writer), ro: pragmaValues(this.reader) },
      compileOptions,
      version: String(this.reader.single('SELECT sqlite_version()')[0]),
      connections: { rw: 1, ro: 1 },
      foreignKeys: this.foreignKeys,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    this.writer.close();
  }

  private applyOrFailure(command: Command): StatementResult[] | CommandFailedError {
    try {
      return this.apply(command);
    } catch (error) {
      if (error instanceof CommandFailedError) return error;
      throw error;
    }
  }

  /**
   * The statements of several commands inside one transaction, or undefined, with nothing changed, when
   * they may not be grouped, SQLite ended the transaction part-way, or the commit failed: the commands
   * are then applied one by one, each failing or not as it would have alone.
   */
  private applyRunAsGroup(run: readonly StatementsCommand[]): StatementResult[][] | undefined {
    const writer = this.writer;
    const parts = run.map((command) => command.statements);
    if (!this.grouping.allows(parts)) return undefined;
    try {
      return applyAsGroup(writer, parts, (statement, part) =>
        runOnWriter(writer, run[part]!.mode, statement),
      );
    } catch (error) {
      if (error instanceof CommandFailedError) return undefined;
      throw error;
    }
  }

  private applyStatements(command: StatementsCommand): StatementResult[] {
    if (command.mode === 'query') {
      // Strong reads go through the log but, as in rqlite, run on a read-only connection.
      return runReads(this.reader, command.statements, { transaction: command.transaction });
    }
    const writer = this.writer;
    const runOne = (statement: Statement): StatementResult => runOnWriter(writer, command.mode, statement);
    if (!command.transaction && this.grouping.allows([command.statements])) {
      const grouped = applyAsGroup(writer, [command.statements], runOne);
      if (grouped !== undefined) return grouped[0]!;
    }
    // Statements run one by one may change what grouping depends on (see GroupingCheck).
    this.grouping.forget();
    if (command.transaction) runControl(writer, 'BEGIN');
    const results: StatementResult[] = [];
    try {
      for (const statement of command.statements) {
        if (statement.sql === '') continue;
        const result = runOne(statement);
        results.push(result);
        if (result.kind === 'error' && command.transaction) {
          // Stop at the first error and undo everything; a client's own ROLLBACK may have ended it already.
          if (writer.inTransaction) runControl(writer, 'ROLLBACK');
          return results;
        }
      }
    } catch (error) {
      // Not a statement's error but a fault: leave no transaction of this command behind.
      if (command.transaction && writer.inTransaction) writer.prepare('ROLLBACK').run();
      throw error;
    }
    if (command.transaction) runControl(writer, 'COMMIT');
    return results;
  }

  private applyLoad(image: Uint8Array): StatementResult[] {
    try {
      this.restore(image);
      return [];
    } catch (error) {
      // A bad image fails identically on every node, so it is an answer, not a fault.
      if (error instanceof SqliteStateMachineError && error.code === 'invalid_image') {
        return [{ kind: 'error', error: error.message }];
      }
      throw error;
    }
  }

  // Takes `source` over: it is closed whatever happens.
  private replaceWith(source: Database.Database): void {
    this.grouping.forget();
    try {
      if (this.mode === 'memory') this.replaceInMemory(source);
      else this.replaceOnDisk(source);
    } finally {
      source.close();
    }
    this.gate.setGeneration(this.generation);
    for (const listener of this.targetListeners) listener(this.readTarget);
  }

  // A shared in-memory database cannot be overwritten in place, so the image is copied into a new one,
  // the connections move to it, and the old one disappears when its last reader closes.
  private replaceInMemory(source: Database.Database): void {
    const nextGeneration = this.generation + 1;
    const location = memoryLocation(this.memoryName, nextGeneration);
    const writer = new Connection(location, {
      role: 'write',
      foreignKeys: this.foreignKeys,
      busyTimeoutMs: writeBusyTimeoutMs,
    });
    try {
      copyInto(source, location.uri);
    } catch (error) {
      writer.close();
      throw error;
    }
    const reader = new Connection(location, {
      role: 'read',
      foreignKeys: this.foreignKeys,
      busyTimeoutMs: readBusyTimeoutMs(this.mode),
    });
    this.reader.close();
    this.writer.close();
    this.writer = writer;
    this.reader = reader;
    this.generation = nextGeneration;
  }

  // The image is written to a new file beside the database, which then takes the database's name. Read
  // workers still reading the old file keep its (now unlinked) inode, WAL and shared memory to
  // themselves until they reopen, so they finish on the old state and never see a mixture.
  private replaceOnDisk(source: Database.Database): void {
    const path = this.path;
    invariant(path !== undefined, 'an on-disk database has a path');
    const incoming = `${path}.incoming`;
    SqliteDatabase.removeFiles(incoming);
    try {
      copyInto(source, incoming);
    } catch (error) {
      SqliteDatabase.removeFiles(incoming);
      throw error;
    }
    this.reader.close();
    this.writer.close();
    try {
      fs.rmSync(path + '-wal', { force: true });
      fs.rmSync(path + '-shm', { force: true });
      fs.renameSync(incoming, path);
    } catch (error) {
      this.closed = true;
      throw new SqliteStateMachineError('io', `cannot move the restored database into place at ${path}`, {
        cause: error,
      });
    }
    this.generation += 1;
    this.writer = this.openConnection('write');
    this.reader = this.openConnection('read');
  }

  private openConnection(role: 'write' | 'read'): Connection {
    return new Connection(this.location(), {
      role,
      foreignKeys: this.foreignKeys,
      busyTimeoutMs: role === 'write' ? writeBusyTimeoutMs : readBusyTimeoutMs(this.mode),
    });
  }

  private location(): DatabaseLocation {
    if (this.path !== undefined) return { kind: 'disk', path: this.path };
    return memoryLocation(this.memoryName, this.generation);
  }

  // Marks a change for read workers, so that none starts reading in the middle of it (apply-gate.ts).
  private changing<T>(work: () => T): T {
    if (this.mode === 'memory' && this.gate.readsInProgress > 0 && !this.gate.holdingReaders) {
      // A worker's read lock would make this write fail with "database is locked" on this node only.
      throw new Error(
        'sqlite state machine: a change was applied in memory while worker reads were in progress; apply through ReadPool.exclusive()',
      );
    }
    this.gate.beginChange();
    try {
      return work();
    } finally {
      this.gate.endChange();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new SqliteStateMachineError('closed', 'the database is closed');
  }
}

/**
 * Commands whose statements may share a transaction with their neighbours': writes without a
 * transaction of their own. Strong reads run on the read connection, which must see every write before
 * them committed, and a command's own transaction decides alone how it ends.
 */
function joinsGroups(command: Command): command is StatementsCommand {
  return command.kind === 'statements' && !command.transaction && command.mode !== 'query';
}

function memoryLocation(name: string, generation: number): DatabaseLocation & { readonly kind: 'memory' } {
  return { kind: 'memory', uri: `file:/${name}-${generation}?vfs=memdb` };
}

function runReads(
  reader: Connection,
  statements: readonly Statement[],
  options: QueryOptions,
): StatementResult[] {
  if (options.transaction) runControl(reader, 'BEGIN');
  const results: StatementResult[] = [];
  try {
    for (const statement of statements) {
      if (statement.sql === '') continue;
      // A read transaction does not stop at an error: there is nothing to undo, as in rqlite.
      results.push(runOnReadPath(reader, statement));
    }
  } finally {
    if (options.transaction && reader.inTransaction) runControl(reader, 'COMMIT');
  }
  return results;
}

/** A statement of an `execute` or `request` command, on the write connection. */
function runOnWriter(
  writer: Connection,
  mode: StatementsCommand['mode'],
  statement: Statement,
): StatementResult {
  return mode === 'request' ? runRequested(writer, statement) : runExecuted(writer, statement);
}

// /db/execute: statements with RETURNING answer with rows; others with the write connection's counters.
function runExecuted(writer: Connection, statement: Statement): StatementResult {
  return statement.returnsRows ? runForRows(writer, statement) : runForWrite(writer, statement);
}

// /db/request: SQLite decides per statement; a statement that does not compile reports its error.
function runRequested(writer: Connection, statement: Statement): StatementResult {
  const classified = classifyStatement(writer, statement.sql);
  if ('kind' in classified) return classified;
  return classified.readOnly ? runForRows(writer, statement) : runExecuted(writer, statement);
}

/** BEGIN, COMMIT or ROLLBACK of a command's own transaction; a failure fails the whole command. */
function runControl(connection: Connection, sql: 'BEGIN' | 'COMMIT' | 'ROLLBACK'): void {
  try {
    connection.prepare(sql).run();
  } catch (error) {
    if (!(error instanceof Database.SqliteError)) throw error;
    if (sql === 'COMMIT' && connection.inTransaction) connection.prepare('ROLLBACK').run();
    throw new CommandFailedError(error.message, { cause: error });
  }
}

function openImage(image: Uint8Array): Database.Database {
  const bytes = toRollbackJournalImage(image);
  try {
    return new Database(bytes);
  } catch (error) {
    throw new SqliteStateMachineError('invalid_image', `not a usable SQLite database: ${describe(error)}`, {
      cause: error,
    });
  }
}

// The file's header is checked before SQLite opens it, so that what is not a whole database (another
// file, one cut short in transfer) fails as invalid_image with a precise reason.
function openImageFile(sourcePath: string): Database.Database {
  let descriptor: number;
  try {
    descriptor = fs.openSync(sourcePath, 'r+');
  } catch (error) {
    throw new SqliteStateMachineError(
      'io',
      `cannot open the database file ${sourcePath}: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    const head = new Uint8Array(imageHeaderBytes);
    const headBytes = fs.readSync(descriptor, head, 0, imageHeaderBytes, 0);
    const checked = checkImageHeader(head.subarray(0, headBytes), fs.fstatSync(descriptor).size);
    if (isImageProblem(checked)) throw new SqliteStateMachineError('invalid_image', checked.message);
    setRollbackJournalForm(head);
    fs.writeSync(descriptor, head, 0, imageHeaderBytes, 0);
  } finally {
    fs.closeSync(descriptor);
  }
  try {
    return new Database(sourcePath, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new SqliteStateMachineError('invalid_image', `not a usable SQLite database: ${describe(error)}`, {
      cause: error,
    });
  }
}

// VACUUM INTO reads every page of the source, so a damaged image fails here, before anything changes.
function copyInto(source: Database.Database, target: string): void {
  try {
    source.prepare('VACUUM INTO ?').run(target);
  } catch (error) {
    throw new SqliteStateMachineError(
      'invalid_image',
      `cannot restore the database image: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
}

function pragmaValues(connection: Connection): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of statusPragmas) values[name] = String(connection.single(`PRAGMA ${name}`)[0]);
  return values;
}

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
