// What a handler gets: the request as routed and parsed, the response being built, the node's parts, and
// the helpers every handler shares: reading the body within its limit, and running an operation that
// needs the leader (local first, then 301 with `redirect` or forwarding through the proxy).
import type { IncomingMessage } from 'node:http';

import { readBody } from './body.js';
import type { Counters } from './counters.js';
import type { QueryParams } from './query-params.js';
import type { ApiResponse } from './response.js';
import type { WriteQueue } from './write-queue.js';
import {
  ForwardUnauthorizedError,
  LeaderNotFoundError,
  NotLeaderError,
  StoreError,
  type BackupStore,
  type DataStore,
  type ForwardOptions,
  type Forwarded,
  type LeaderHint,
  type LeaderProxy,
  type MembershipStore,
  type SqlTools,
  type StatusProvider,
} from './store.js';

/** Time and randomness, injected so that tests (and the rewriter's output) are reproducible. */
export interface ApiClock {
  /** Wall-clock milliseconds since the epoch (for 'now' rewriting and /status times). */
  nowMs(): number;
  /** A monotonic clock in nanoseconds (for `time` in responses). */
  monotonicNs(): bigint;
}

export interface ApiRandom {
  int64(): bigint;
  bytes(count: number): Uint8Array;
}

/** Everything a handler may use, fixed for the life of the server. */
export interface ApiContext {
  readonly store: DataStore;
  readonly status: StatusProvider;
  readonly membership: MembershipStore;
  readonly proxy: LeaderProxy;
  readonly sql: SqlTools;
  readonly clock: ApiClock;
  readonly random: ApiRandom;
  readonly counters: Counters;
  readonly version: string;
  readonly bodyBytesMax: number;
  readonly statementsMax: number;
  /** Backups, loads of SQLite files, boots and snapshots; undefined where the node has none. */
  readonly backup: BackupStore | undefined;
  /** Largest upload /boot accepts (it streams to disk, so it may exceed bodyBytesMax). */
  readonly bootBytesMax: number;
  /** The address reported in X-Rqlite-Served-By for work done here. */
  advertisedAddress(): string;
  /** The address the server listens on (`bind_addr` in /status). */
  boundAddress(): string;
  readonly allowOrigin: string | undefined;
  readonly startedAtMs: number;
  readonly startedAtNs: bigint;
  /** Queued writes (`/db/execute?queue`). */
  readonly writeQueue: WriteQueue;
}

export class Exchange {
  constructor(
    readonly context: ApiContext,
    readonly request: IncomingMessage,
    readonly response: ApiResponse,
    readonly method: string,
    /** The unescaped request path, which routing matches. */
    readonly path: string,
    /** The query string as sent (still escaped), which redirects repeat. */
    readonly rawQuery: string,
    readonly params: QueryParams,
    /** Aborted when the client goes away before its response is complete. */
    readonly signal: AbortSignal,
    readonly startedNs: bigint,
  ) {}

  readBody(): Promise<Buffer> {
    return readBody(this.request, this.context.bodyBytesMax);
  }

  header(name: string): string | undefined {
    const value = this.request.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /** Seconds since the handler started, for `time`. */
  elapsedSeconds(): number {
    return Number(this.context.clock.monotonicNs() - this.startedNs) / 1e9;
  }

  forwardOptions(): ForwardOptions {
    return {
      timeoutMs: this.params.durationMs('timeout', defaultTimeoutMs),
      retries: this.params.integer('retries', 0),
      signal: this.signal,
    };
  }
}

/** rqlite's default for `timeout` (forwarding, probes, readiness sync). */
export const defaultTimeoutMs = 30_000;

/** What an operation that needs the leader came to. */
export type LeaderOutcome<T> =
  | { readonly kind: 'done'; readonly value: T; readonly servedBy: string }
  | { readonly kind: 'failed'; readonly error: StoreError }
  | { readonly kind: 'answered' };

/**
 * Runs `local`; if this node is not the leader, answers 301 (with `redirect`) or forwards. Failures the
 * client is told about in a 200 body come back as `failed`; failures with their own status (503 leader
 * not found, 401) are answered here and come back as `answered`. Anything else is a bug and propagates.
 */
export async function onLeader<T>(
  exchange: Exchange,
  operationName: string,
  local: () => Promise<T>,
  forward: (leader: LeaderHint, options: ForwardOptions) => Promise<Forwarded<T>>,
): Promise<LeaderOutcome<T>> {
  try {
    return { kind: 'done', value: await local(), servedBy: exchange.context.advertisedAddress() };
  } catch (error) {
    if (!(error instanceof NotLeaderError)) return failure(exchange, operationName, error);
    if (exchange.params.has('redirect')) {
      redirectToLeader(exchange, error.leader);
      return { kind: 'answered' };
    }
    try {
      const forwarded = await forward(error.leader, exchange.forwardOptions());
      return { kind: 'done', value: forwarded.value, servedBy: forwarded.servedBy };
    } catch (forwardError) {
      return failure(exchange, operationName, forwardError);
    }
  }
}

/**
 * Runs `local`; if this node is not the leader, forwards. For work done on the node's own behalf (queued
 * batches), which has no client to redirect or answer: every failure is thrown to the caller.
 */
export async function onLeaderUnattended<T>(
  context: ApiContext,
  local: () => Promise<T>,
  forward: (leader: LeaderHint, options: ForwardOptions) => Promise<Forwarded<T>>,
  forwardOptions: ForwardOptions,
): Promise<Forwarded<T>> {
  try {
    return { value: await local(), servedBy: context.advertisedAddress() };
  } catch (error) {
    if (!(error instanceof NotLeaderError)) throw error;
    return forward(error.leader, forwardOptions);
  }
}

function failure(exchange: Exchange, operationName: string, error: unknown): LeaderOutcome<never> {
  if (error instanceof LeaderNotFoundError) {
    exchange.context.counters.add('leader_not_found');
    exchange.response.error(503, error.message);
    return { kind: 'answered' };
  }
  if (error instanceof ForwardUnauthorizedError) {
    exchange.response.error(401, `remote ${operationName} not authorized`);
    return { kind: 'answered' };
  }
  if (error instanceof StoreError) return { kind: 'failed', error };
  throw error;
}

/**
 * 301 to the same path and query on the leader. rqlite answers 500 `leader not found` when it cannot
 * tell where the leader's API is.
 */
export function redirectToLeader(exchange: Exchange, leader: LeaderHint): void {
  if (leader.apiUrl === undefined || leader.apiUrl === '') {
    exchange.context.counters.add('leader_not_found');
    exchange.response.error(500, 'leader not found');
    return;
  }
  const query = exchange.rawQuery === '' ? '' : `?${exchange.rawQuery}`;
  exchange.response.redirect(301, `${leader.apiUrl}${exchange.path}${query}`);
}
