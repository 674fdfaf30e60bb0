// The baseline: better-sqlite3 in this process doing the same work as the servers, with the same
// durability. A server acknowledges a write only once it is on disk, so the baseline's file is in WAL
// mode with synchronous=FULL, which syncs the WAL at every commit: a single INSERT is one durable
// transaction, and a batch is one transaction of all its rows. Reads come from the same table of point
// rows that the servers read. What the ratio then shows is the price of the network, HTTP, JSON and the
// log over embedded SQLite, not the price of durability.
import Database from 'better-sqlite3';
import path from 'node:path';

import { emptyTally, type LoadTally } from './loadgen.js';
import {
  insertSql,
  pointIdFor,
  pointInsertSql,
  pointRows,
  pointSelectSql,
  pointValue,
  schemaStatements,
  writeKey,
  writeValue,
} from './workloads.js';

/** A read that returned the wrong row means the baseline itself is broken; it must not be reported. */
export class BaselineMismatchError extends Error {
  readonly code = 'BASELINE_MISMATCH';
  constructor(id: number, got: unknown) {
    super(`better-sqlite3 returned ${JSON.stringify(got)} for point row ${id}, not the value loaded`);
    this.name = 'BaselineMismatchError';
  }
}

export class SqliteBaseline {
  private readonly insert: Database.Statement<[string, string]>;
  private readonly select: Database.Statement<[number], { v: string }>;
  private nextWrite = 0;
  private nextRead = 0;

  private constructor(private readonly database: Database.Database) {
    this.insert = database.prepare(insertSql);
    this.select = database.prepare(pointSelectSql);
  }

  /** Opens a fresh database file in `directory`, creates the tables and loads the point rows. */
  static open(directory: string): SqliteBaseline {
    const database = new Database(path.join(directory, 'baseline.sqlite'));
    try {
      const journalMode: unknown = database.pragma('journal_mode = WAL', { simple: true });
      if (journalMode !== 'wal')
        throw new Error(`the baseline database is not in WAL mode: ${String(journalMode)}`);
      database.pragma('synchronous = FULL');
      for (const statement of schemaStatements) database.exec(statement);
      const load = database.prepare<[number, string]>(pointInsertSql);
      database.transaction(() => {
        for (let id = 1; id <= pointRows; id++) load.run(id, pointValue(id));
      })();
      return new SqliteBaseline(database);
    } catch (error) {
      database.close();
      throw error;
    }
  }

  /** Single-row INSERTs, one durable transaction each, for `durationMs` or `countMax` rows. */
  insertFor(durationMs: number, countMax: number): LoadTally {
    const latenciesMs: number[] = [];
    const startedAt = performance.now();
    const stopAt = startedAt + durationMs;
    let finishedAt = startedAt;
    while (finishedAt < stopAt && latenciesMs.length < countMax) {
      const sentAt = finishedAt;
      this.insert.run(writeKey(this.nextWrite++), writeValue());
      finishedAt = performance.now();
      latenciesMs.push(finishedAt - sentAt);
    }
    return {
      ...emptyTally,
      succeeded: latenciesMs.length,
      seconds: (finishedAt - startedAt) / 1000,
      latenciesMs,
    };
  }

  /** `rows` INSERTs in one durable transaction; returns the seconds it took. */
  batch(rows: number): number {
    const startedAt = performance.now();
    this.database.transaction(() => {
      for (let row = 0; row < rows; row++) this.insert.run(writeKey(this.nextWrite++), writeValue());
    })();
    return (performance.now() - startedAt) / 1000;
  }

  /** Point reads by primary key, each checked, for `durationMs` or `countMax` reads. */
  pointReadsFor(durationMs: number, countMax: number): LoadTally {
    const startedAt = performance.now();
    const stopAt = startedAt + durationMs;
    let now = startedAt;
    let reads = 0;
    // Reading the clock costs about as much as a read, so it is read once per group of reads.
    const readsPerClockCheck = 64;
    while (now < stopAt && reads < countMax) {
      for (let group = 0; group < readsPerClockCheck; group++) {
        const id = pointIdFor(this.nextRead++);
        const row = this.select.get(id);
        if (row?.v !== pointValue(id)) throw new BaselineMismatchError(id, row);
      }
      reads += readsPerClockCheck;
      now = performance.now();
    }
    return { ...emptyTally, succeeded: reads, seconds: (now - startedAt) / 1000 };
  }

  close(): void {
    this.database.close();
  }
}
