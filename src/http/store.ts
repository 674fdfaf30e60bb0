// The narrow interfaces the HTTP layer consumes, declared here by their consumer. The server composes
// real implementations (the log, the SQLite state machine, later Raft and the cluster); tests pass small
// in-memory ones. Nothing in this file knows how a statement is executed, only what the API needs to ask
// and what it may be told back, including the failures it must translate into rqlite's answers.
import type { Statement, StatementResult, StatementsCommand } from '../command/types.js';
import type { ReadLevel } from './query-params.js';
import type { JsonValue } from './json-write.js';

export type { ReadLevel } from './query-params.js';
export type { JsonValue } from './json-write.js';

/** What every data operation is told about the request it serves. */
export interface OperationOptions {
  /** Per-statement SQLite execution limit (`db_timeout`); 0 means none. */
  readonly dbTimeoutMs: number;
  /** Aborted when the client goes away: work not yet started (or not yet in the log) can be dropped. */
  readonly signal: AbortSignal;
}

/** Options of /db/execute. Whether statements run in one transaction is part of the command. */
export type ExecuteOptions = OperationOptions;

/** Options of reads: /db/query, and /db/request (which is served as a read when nothing in it writes). */
export interface ReadOptions extends OperationOptions {
  readonly level: ReadLevel;
  /** Wrap the reads in one read transaction. */
  readonly transaction: boolean;
  /** `freshness` for level `none` on a follower: 0 means not checked. */
  readonly freshnessMs: number;
  readonly freshnessStrict: boolean;
  /** How long a linearizable read may wait for its preconditions (`linearizable_timeout`, default 10s). */
  readonly linearizableTimeoutMs: number;
}

export type QueryOptions = ReadOptions;
export type RequestOptions = ReadOptions;

/** What a data operation returns: one result per statement, in order, and the log index that carried it. */
export interface StatementsResponse {
  readonly results: readonly StatementResult[];
  /** Index of the log entry of a write or strong read; absent for local reads. */
  readonly raftIndex?: number;
}

/**
 * The database, as /db/execute, /db/query and /db/request use it. Statements arrive parsed, rewritten
 * (RANDOM(), 'now'), with empty SQL strings removed and disallowed PRAGMAs already refused.
 *
 * Failures of the request as a whole are thrown as `StoreError`s (below); failures of single statements
 * are `ErrorResult`s in the results. Any other exception is a bug and is answered with 500.
 */
export interface DataStore {
  /** Appends the command to the log, waits until it is applied, returns its results. */
  execute(command: StatementsCommand, options: ExecuteOptions): Promise<StatementsResponse>;
  /** Reads at the requested level: `strong` through the log, the others locally once allowed. */
  query(statements: readonly Statement[], options: QueryOptions): Promise<StatementsResponse>;
  /**
   * The unified endpoint: the store classifies each statement (read-only or not, as SQLite says). With
   * no write and a level other than `strong` it is served as `query`; otherwise the whole request is one
   * log entry, and each result is write-shaped or row-shaped by statement.
   */
  request(statements: readonly Statement[], options: RequestOptions): Promise<StatementsResponse>;
}

/** The forms of GET /db/backup: a SQLite file in WAL or DELETE journal mode, or SQL text. */
export type BackupFormat = 'binary' | 'delete' | 'sql';

/** What GET /db/backup asks for. */
export interface BackupOptions {
  readonly format: BackupFormat;
  /** `sql` only: dump just these tables and what belongs to them; empty for all. */
  readonly tables: readonly string[];
  /** Binary forms only: compact the copy (VACUUM INTO) before sending it. */
  readonly vacuum: boolean;
  /** Serve this node's database even when it is not the leader (`noleader`). */
  readonly noLeader: boolean;
  readonly signal: AbortSignal;
}

/** A backup ready to send. `close` frees what it holds (a temporary copy), read to the end or not. */
export interface BackupStream {
  readonly bytes: AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Backups, restores and snapshots: /db/backup, /db/load (SQLite files; SQL text goes through
 * DataStore.execute), /boot and /snapshot. Failures are StoreErrors (NotLeaderError, NotReadyError, …)
 * or BackupErrors (below); a load the state machine refuses is a StoreError with code `failed`.
 */
export interface BackupStore {
  /** A consistent copy of the database in the asked form, streamed so that its size needs no memory. */
  backup(options: BackupOptions): Promise<BackupStream>;
  /**
   * Replaces the database with the SQLite file `image` on every node, through the log. A file that
   * cannot be a whole database is refused (`invalid_data`) before anything changes.
   */
  load(image: Uint8Array, options: OperationOptions): Promise<StatementsResponse>;
  /**
   * Streams a SQLite file into the database of a cluster of one node, outside the log, then snapshots it
   * so that a restart starts from it. More than `bytesMax` bytes is `too_large`; a file that is not a
   * sound database is `invalid_data`; a node that is not alone in its cluster is `not_single_node`.
   */
  boot(
    body: AsyncIterable<Uint8Array>,
    options: { readonly bytesMax: number; readonly signal: AbortSignal },
  ): Promise<void>;
  /** Takes a snapshot now, keeping `trailingLogs` log entries before it; false when nothing is new. */
  snapshot(options: { readonly trailingLogs: number }): Promise<boolean>;
}

export type BackupErrorCode =
  /** The data sent is not what the endpoint takes (not SQLite, damaged, truncated, a bad script). */
  | 'invalid_data'
  /** More than the endpoint's size limit was sent. */
  | 'too_large'
  /** /boot on a node that is not the only member of its cluster. */
  | 'not_single_node'
  /** Another transfer or snapshot holds what this one needs; retrying later succeeds. */
  | 'busy';

/** A backup, load or boot refused for a reason the client can fix; the message says how. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    readonly code: BackupErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A member of the cluster configuration, as this node knows it. */
export interface ClusterMember {
  readonly id: string;
  /** The address other nodes reach it at (rqlite's Raft address: `addr` in /nodes). */
  readonly address: string;
  readonly voter: boolean;
}

/** The result of contacting a member, for /nodes, /leader and /readyz. */
export type MemberProbe =
  | { readonly reachable: true; readonly apiUrl: string; readonly version: string }
  | { readonly reachable: false; readonly error: string };

export interface ProbeOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly signal: AbortSignal;
}

/**
 * What /status, /nodes, /leader, /readyz and /debug/vars report. The HTTP layer adds the parts it owns
 * itself (os, runtime, http, node, build in /status; cmdline, memstats, http in /debug/vars).
 */
export interface StatusProvider {
  /** Top-level sections of /status (`store` at least, with rqlite's key names and value types). */
  status(): Promise<Readonly<Record<string, JsonValue>>>;
  /** Top-level entries of /debug/vars; plain objects are rendered as Go expvar maps. */
  debugVars(): Readonly<Record<string, JsonValue>>;
  /** The configuration's members. Throws StoreNotOpenError while the store is not open. */
  members(): Promise<readonly ClusterMember[]>;
  /** The leader this node knows of, or undefined when none is known. */
  leader(): Promise<ClusterMember | undefined>;
  /** Contacts a member (this node answers for itself without the network). */
  probe(member: ClusterMember, options: ProbeOptions): Promise<MemberProbe>;
  /** Whether the store has finished starting and can serve requests. */
  isReady(): boolean;
  /** Waits until this node has applied the leader's commit index as last seen (`/readyz?sync`). */
  waitForCommitted(options: { readonly timeoutMs: number; readonly signal: AbortSignal }): Promise<void>;
}

/** Membership changes a leader performs (a follower throws NotLeaderError and the proxy forwards). */
export interface MembershipStore {
  /** Removes a node from the configuration (DELETE /remove). */
  remove(
    nodeId: string,
    options: { readonly timeoutMs: number; readonly signal: AbortSignal },
  ): Promise<void>;
  /** Hands leadership to another voter, or to `targetId` (POST /leader). */
  stepdown(options: {
    readonly wait: boolean;
    readonly targetId: string | undefined;
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
  }): Promise<void>;
}

/** Where the leader can be reached, as far as this node knows. */
export interface LeaderHint {
  /** The leader's HTTP API URL with its scheme (`http://host:4001`), used for `redirect`. */
  readonly apiUrl?: string;
  /** The leader's node-to-node address, used for forwarding. */
  readonly address?: string;
}

export interface ForwardOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly signal: AbortSignal;
}

/** A forwarded operation's result and who served it (for `X-Rqlite-Served-By`). */
export interface Forwarded<T> {
  readonly value: T;
  readonly servedBy: string;
}

/**
 * Sends an operation that needs the leader to the leader, when this node is not it and the client did
 * not ask for `redirect`. The single-node product has no other node to forward to (`noLeaderElsewhere`);
 * the cluster will implement this over its transport.
 *
 * Throw LeaderNotFoundError when the leader cannot be determined, ForwardUnauthorizedError when it
 * refuses the client's credentials, and a StoreError with the leader's message when it fails.
 */
export interface LeaderProxy {
  execute(
    command: StatementsCommand,
    options: ExecuteOptions,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>>;
  query(
    statements: readonly Statement[],
    options: QueryOptions,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>>;
  request(
    statements: readonly Statement[],
    options: RequestOptions,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>>;
  /** Loads a SQLite file on the leader (POST /db/load with a database image). */
  load(
    image: Uint8Array,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>>;
  remove(nodeId: string, leader: LeaderHint, forward: ForwardOptions): Promise<Forwarded<void>>;
  stepdown(
    request: { readonly wait: boolean; readonly targetId: string | undefined },
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<void>>;
}

/**
 * The SQL text tools the HTTP layer applies before a statement is sent to the store (the `src/sql`
 * module has exactly these signatures; they are injected so that tests can see what was asked of them).
 */
export interface SqlTools {
  rewrite(
    sql: string,
    options: {
      random: boolean;
      time: boolean;
      randomInt64(): bigint;
      randomBytes(n: number): Uint8Array;
      nowMs(): number;
    },
  ): { sql: string; changed: boolean };
  analyze(sql: string): { returning: boolean; explain: boolean; empty: boolean };
  disallowedPragma(sql: string): string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Failures a store (or proxy) reports for a request as a whole. The message is what the client reads in
// `{"results":[],"error":"..."}` (HTTP 200, as rqlite answers), except where the class says otherwise.

export type StoreErrorCode =
  | 'not_leader'
  | 'leader_not_found'
  | 'not_open'
  | 'not_ready'
  | 'stale_read'
  | 'timeout'
  | 'shutting_down'
  | 'forward_unauthorized'
  | 'failed';

/** A failure of a whole request that the client is told about; subclasses say which. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * This node is not the leader and the operation needs it. The HTTP layer answers 301 to the leader with
 * `redirect`, and otherwise forwards through the LeaderProxy.
 */
export class NotLeaderError extends StoreError {
  override readonly name = 'NotLeaderError';
  constructor(readonly leader: LeaderHint = {}) {
    super('not_leader', 'not leader');
  }
}

/** No leader is known: answered 503 `leader not found` (plain text), as rqlite does. */
export class LeaderNotFoundError extends StoreError {
  override readonly name = 'LeaderNotFoundError';
  constructor() {
    super('leader_not_found', 'leader not found');
  }
}

/** The store has not been opened yet, or has been closed. */
export class StoreNotOpenError extends StoreError {
  override readonly name = 'StoreNotOpenError';
  constructor() {
    super('not_open', 'store not open');
  }
}

/** The store is open but not ready to serve (still applying its log at start). */
export class NotReadyError extends StoreError {
  override readonly name = 'NotReadyError';
  constructor() {
    super('not_ready', 'store not ready');
  }
}

/** A `level=none` read with `freshness` found this node too far behind the leader. */
export class StaleReadError extends StoreError {
  override readonly name = 'StaleReadError';
  constructor() {
    super('stale_read', 'stale read');
  }
}

/** A wait inside the store ran out (e.g. `index 12: timeout waiting for fsm`); the message says which. */
export class StoreTimeoutError extends StoreError {
  override readonly name = 'StoreTimeoutError';
  constructor(message: string) {
    super('timeout', message);
  }
}

/** The node is shutting down and accepts no new work. */
export class ShuttingDownError extends StoreError {
  override readonly name = 'ShuttingDownError';
  constructor() {
    super('shutting_down', 'node is shutting down');
  }
}

/** The leader refused the credentials of a forwarded request: answered 401. */
export class ForwardUnauthorizedError extends StoreError {
  override readonly name = 'ForwardUnauthorizedError';
  constructor() {
    super('forward_unauthorized', 'unauthorized');
  }
}

/** The proxy of a node that is alone: there is never a leader elsewhere to forward to. */
export const noLeaderElsewhere: LeaderProxy = {
  execute: () => Promise.reject(new LeaderNotFoundError()),
  query: () => Promise.reject(new LeaderNotFoundError()),
  request: () => Promise.reject(new LeaderNotFoundError()),
  load: () => Promise.reject(new LeaderNotFoundError()),
  remove: () => Promise.reject(new LeaderNotFoundError()),
  stepdown: () => Promise.reject(new LeaderNotFoundError()),
};
