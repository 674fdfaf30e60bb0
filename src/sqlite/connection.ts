// One SQLite connection as the state machine uses it: opened with the settings Dust relies on, integers
// returned as bigint, and prepared statements kept in a small cache because clients repeat the same
// statements (a point read or a parameterised INSERT) far more often than they send new ones.
import Database from 'better-sqlite3';

/** Where the database lives: a shared in-memory database of this process, or a file. */
export type DatabaseLocation =
  { readonly kind: 'memory'; readonly uri: string } | { readonly kind: 'disk'; readonly path: string };

export interface ConnectionSettings {
  readonly role: 'write' | 'read';
  readonly foreignKeys: boolean;
  /** How long SQLite waits for another connection's lock before answering "database is locked". */
  readonly busyTimeoutMs: number;
}

export type PreparedStatement = Database.Statement<unknown[], unknown>;

const cachedStatementsMax = 256;
const walBytesKeptMax = 64 * 1024 * 1024;
// SQLite's page cache of each connection, in KiB. better-sqlite3's default is about 16 MB per
// connection (Dust's build of it goes back to SQLite's own 2 MB, for the connections it does not open
// itself, such as a backup's destination), and a node has several on the same file (the writer, the main
// thread's reader, one per read worker, and the one of a copy in progress): pages held several times
// over. The file's pages are in the operating system's cache anyway, so a miss costs a copy from memory,
// not a disk read: a point read touches a handful of pages, while a request costs far more elsewhere.
// The writer keeps a larger cache for the interior pages of the b-trees its inserts walk.
const pageCacheKibibytes = { write: 8192, read: 2048 } as const;

export class Connection {
  readonly raw: Database.Database;
  readonly role: 'write' | 'read';
  private readonly cache = new Map<string, PreparedStatement>();

  constructor(location: DatabaseLocation, settings: ConnectionSettings) {
    this.role = settings.role;
    const filename = location.kind === 'memory' ? location.uri : location.path;
    this.raw = new Database(filename, {
      readonly: settings.role === 'read',
      timeout: settings.busyTimeoutMs,
    });
    try {
      this.raw.defaultSafeIntegers(true);
      if (location.kind === 'disk' && settings.role === 'write') {
        // WAL lets readers run beside the writer. The write connection checkpoints automatically (every
        // 1000 pages, without waiting for readers), and the WAL file is cut back to a bounded size after.
        const journalMode = this.raw.pragma('journal_mode = WAL', { simple: true });
        if (journalMode !== 'wal')
          throw new Error(`cannot put ${location.path} in WAL mode (got ${String(journalMode)})`);
        this.raw.pragma(`journal_size_limit = ${walBytesKeptMax}`);
      }
      // The log makes writes durable, so SQLite never needs to sync (set on readers too, so that every
      // connection reports the same setting).
      this.raw.pragma('synchronous = OFF');
      this.raw.pragma(`cache_size = -${pageCacheKibibytes[settings.role]}`);
      // This build of SQLite turns foreign keys on by default; rqlite's users expect them off unless -fk.
      this.raw.pragma(`foreign_keys = ${settings.foreignKeys ? 'ON' : 'OFF'}`);
    } catch (error) {
      this.raw.close();
      throw error;
    }
  }

  /** A prepared statement for `sql`, from the cache when the same text was prepared before. */
  prepare(sql: string): PreparedStatement {
    const cached = this.cache.get(sql);
    if (cached !== undefined) {
      // Re-inserting keeps the map in least-recently-used order.
      this.cache.delete(sql);
      this.cache.set(sql, cached);
      return cached;
    }
    const statement = this.raw.prepare(sql);
    this.cache.set(sql, statement);
    if (this.cache.size > cachedStatementsMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    return statement;
  }

  /** Runs one statement that returns one row of values (a PRAGMA or a small SELECT) and returns them. */
  single(sql: string): unknown[] {
    const statement = this.prepare(sql);
    const row = statement.raw(true).get() as unknown[] | undefined;
    return row ?? [];
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  close(): void {
    this.cache.clear();
    if (this.raw.open) this.raw.close();
  }
}
