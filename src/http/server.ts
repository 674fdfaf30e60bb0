// The HTTP API server: node:http, routing by path prefix as rqlite does, and the guarantees that hold for
// every request whatever it contains: rqlite's headers on every response, OPTIONS answered before
// anything else, query parameters validated before routing, bodies read within a limit, work abandoned
// when the client goes away, and no exception escaping a handler (a bug is answered with 500).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import * as sqlTools from '../sql/index.js';
import {
  handleConsole,
  handleDebugVars,
  handleLeader,
  handleNodes,
  handleReadyz,
  handleRemove,
  handleRoot,
  handleStatus,
  unsupportedEndpoint,
} from './admin-handlers.js';
import { handleBackup, handleBoot, handleLoad, handleSnapshot } from './backup-handlers.js';
import { BodyTooLargeError, ClientGoneError } from './body.js';
import { Counters, type CounterName } from './counters.js';
import {
  executeQueuedBatch,
  handleExecute,
  handleQuery,
  handleRequest,
  handleSqlPreview,
} from './data-handlers.js';
import { Exchange, type ApiClock, type ApiContext, type ApiRandom } from './exchange.js';
import { QueryParams, QueryParamsError, unescapePath } from './query-params.js';
import { ApiResponse } from './response.js';
import {
  noLeaderElsewhere,
  StoreError,
  type BackupStore,
  type DataStore,
  type LeaderProxy,
  type MembershipStore,
  type SqlTools,
  type StatusProvider,
} from './store.js';
import { systemScheduler, WriteQueue, writeQueueDefaults, type WriteQueueConfig } from './write-queue.js';

export interface ApiDependencies {
  readonly store: DataStore;
  readonly status: StatusProvider;
  readonly membership: MembershipStore;
  /** Backups, loads of SQLite files, boots and snapshots; without it those endpoints answer 501. */
  readonly backup?: BackupStore;
  /** Forwarding to the leader; by default there is none elsewhere (a single node). */
  readonly proxy?: LeaderProxy;
  /** Statement rewriting and classification; by default `src/sql`. */
  readonly sql?: SqlTools;
  readonly clock?: ApiClock;
  readonly random?: ApiRandom;
  /** Told about every exception a handler did not expect (the client got a 500); for the log. */
  readonly onInternalError?: (error: unknown, request: { method: string; url: string }) => void;
  /** Told about queued batches that fail or are dropped, and statements that fail in them; for the log. */
  readonly log?: { warn(message: string): void; error(message: string): void };
}

export interface ApiServerOptions {
  /** Sent in X-Rqlite-Version on every response. */
  readonly version: string;
  /** Reported in X-Rqlite-Served-By and /status; by default the address the server listens on. */
  readonly advertisedAddress?: string;
  /** Access-Control-Allow-Origin, when set (rqlite's -http-allow-origin). */
  readonly allowOrigin?: string;
  /** Largest request body accepted; larger ones get 413. */
  readonly bodyBytesMax?: number;
  /** Largest SQLite file /boot accepts; it is streamed to disk, not held in memory. */
  readonly bootBytesMax?: number;
  /** Most statements accepted in one request; more get 413. */
  readonly statementsMax?: number;
  /** Largest request line plus headers (long GET queries travel in the URL). */
  readonly headerBytesMax?: number;
  /** Time a client has to send its whole request, headers and body; slower ones get 408. */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs?: number;
  /** Queued writes: capacity, batch size and timeout, transaction, retries (rqlited's defaults otherwise). */
  readonly writeQueue?: Partial<WriteQueueConfig>;
}

export const apiServerDefaults = {
  bodyBytesMax: 64 * 1024 * 1024,
  bootBytesMax: 512 * 1024 * 1024,
  statementsMax: 100_000,
  headerBytesMax: 1024 * 1024,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
} as const;

const defaultCloseGraceMs = 10_000;

export interface ApiServer {
  readonly server: http.Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections and ends idle ones; requests in flight have `graceMs` (default 10 s) to
   * finish before their connections are closed. Queued writes are executed at once within the same grace
   * period (what is left after it is dropped and logged). Resolves when every connection is closed and
   * the queue is empty.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

type Handler = (exchange: Exchange) => Promise<void> | void;

interface Route {
  readonly path: string;
  /** Prefix routes match `/db/execute...` as rqlite's do; the others only the exact path. */
  readonly prefix: boolean;
  readonly counter?: CounterName;
  readonly handler: Handler;
}

// rqlite's routing table, in its order.
const routes: readonly Route[] = [
  { path: '/console', prefix: true, handler: handleConsole },
  { path: '/db/execute', prefix: true, counter: 'executions', handler: handleExecute },
  { path: '/db/query', prefix: true, counter: 'queries', handler: handleQuery },
  { path: '/db/request', prefix: true, counter: 'requests', handler: handleRequest },
  { path: '/db/backup', prefix: true, counter: 'backups', handler: handleBackup },
  { path: '/db/load', prefix: true, counter: 'loads', handler: handleLoad },
  { path: '/db/sql', prefix: true, handler: handleSqlPreview },
  { path: '/boot', prefix: false, counter: 'boot', handler: handleBoot },
  { path: '/snapshot', prefix: false, counter: 'user_snapshots', handler: handleSnapshot },
  {
    path: '/reap',
    prefix: false,
    counter: 'user_reaps',
    handler: unsupportedEndpoint('POST', 'reaping (/reap)'),
  },
  { path: '/remove', prefix: true, handler: handleRemove },
  { path: '/status', prefix: true, handler: handleStatus },
  { path: '/nodes', prefix: true, handler: handleNodes },
  { path: '/leader', prefix: false, handler: handleLeader },
  { path: '/readyz', prefix: true, handler: handleReadyz },
  {
    path: '/licenses',
    prefix: false,
    handler: unsupportedEndpoint('GET', 'the license listing (/licenses)'),
  },
  { path: '/debug/vars', prefix: false, handler: handleDebugVars },
  { path: '/debug/pprof', prefix: true, handler: unsupportedEndpoint(undefined, 'profiling (/debug/pprof)') },
];

function route(path: string): Route | undefined {
  return routes.find((candidate) =>
    candidate.prefix ? path.startsWith(candidate.path) : path === candidate.path,
  );
}

export function createApiServer(dependencies: ApiDependencies, options: ApiServerOptions): ApiServer {
  const { writeQueue: writeQueueOptions, ...limitOptions } = options;
  const limits = { ...apiServerDefaults, ...definedOnly(limitOptions) };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value === 'number' && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`createApiServer: ${name} must be a positive integer, got ${value}`);
    }
  }
  const clock = dependencies.clock ?? systemClock;
  const server = http.createServer({
    maxHeaderSize: limits.headerBytesMax,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.requestTimeoutMs, 60_000),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  });
  const writeQueue = new WriteQueue(
    { ...writeQueueDefaults, ...definedOnly(writeQueueOptions ?? {}) },
    {
      execute: (command) => executeQueuedBatch(context, command),
      isTransient: isTransientWriteFailure,
      scheduler: systemScheduler,
      // rqlite numbers queued requests from the node's start time in nanoseconds.
      sequenceNumberBase: BigInt(Math.trunc(clock.nowMs())) * 1_000_000n,
      log: dependencies.log ?? { warn: () => undefined, error: () => undefined },
    },
  );
  const context: ApiContext = {
    store: dependencies.store,
    status: dependencies.status,
    membership: dependencies.membership,
    proxy: dependencies.proxy ?? noLeaderElsewhere,
    sql: dependencies.sql ?? sqlTools.memoizedSqlTools(),
    clock,
    random: dependencies.random ?? systemRandom,
    counters: new Counters(),
    version: options.version,
    bodyBytesMax: limits.bodyBytesMax,
    statementsMax: limits.statementsMax,
    backup: dependencies.backup,
    bootBytesMax: limits.bootBytesMax,
    advertisedAddress: () => options.advertisedAddress ?? boundAddress(server),
    boundAddress: () => boundAddress(server),
    allowOrigin: options.allowOrigin,
    startedAtMs: clock.nowMs(),
    startedAtNs: clock.monotonicNs(),
    writeQueue,
  };
  const reportInternalError = dependencies.onInternalError ?? (() => undefined);

  const onRequest = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    serve(context, request, response).catch((error: unknown) => {
      // Only reached if answering the error itself failed: the connection is all that is left to close.
      reportInternalError(error, { method: request.method ?? '', url: request.url ?? '' });
      response.destroy();
    });
  };
  server.on('request', onRequest);
  server.on('checkContinue', (request: http.IncomingMessage, response: http.ServerResponse) => {
    // A client that waits for "100 Continue" is not invited to send a body the limit will refuse.
    const bytesMax =
      splitTarget(request.url ?? '/').path === '/boot' ? limits.bootBytesMax : limits.bodyBytesMax;
    if (Number(request.headers['content-length'] ?? 0) <= bytesMax) response.writeContinue();
    onRequest(request, response);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Requests Node cannot parse never reach a handler; answer as Go's server does, then hang up.
    if (socket.writable && !socket.writableEnded) {
      const status =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`,
      );
    }
    socket.destroy();
  });

  async function serve(
    apiContext: ApiContext,
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const reply = new ApiResponse(response, method);
    const abort = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) abort.abort(new ClientGoneError());
    });
    try {
      reply.set('X-Rqlite-Version', apiContext.version);
      if (apiContext.allowOrigin !== undefined) {
        reply.set('Access-Control-Allow-Origin', apiContext.allowOrigin);
      }
      reply.set('Access-Control-Allow-Methods', 'OPTIONS, GET, POST');
      reply.set('Access-Control-Allow-Headers', 'Content-Type');
      if (method === 'OPTIONS') return reply.send(200);

      const target = splitTarget(request.url ?? '/');
      const path = unescapePath(target.path);
      if (typeof path !== 'string') return reply.error(400, '400 Bad Request');
      let params: QueryParams;
      try {
        params = QueryParams.parse(target.rawQuery);
      } catch (error) {
        if (!(error instanceof QueryParamsError)) throw error;
        apiContext.counters.add('client_errors');
        return reply.error(400, error.message);
      }
      const exchange = new Exchange(
        apiContext,
        request,
        reply,
        method,
        path,
        target.rawQuery,
        params,
        abort.signal,
        apiContext.clock.monotonicNs(),
      );
      if (path === '/' || path === '') return handleRoot(exchange);
      const matched = route(path);
      if (matched === undefined) return reply.send(404);
      if (matched.counter !== undefined) apiContext.counters.add(matched.counter);
      await matched.handler(exchange);
      if (!reply.isSent) throw new Error(`handler for ${matched.path} returned without answering`);
    } catch (error) {
      answerFailure(apiContext, request, response, reply, error);
    }
  }

  function answerFailure(
    apiContext: ApiContext,
    request: http.IncomingMessage,
    response: http.ServerResponse,
    reply: ApiResponse,
    error: unknown,
  ): void {
    if (error instanceof ClientGoneError) {
      response.destroy();
      return;
    }
    if (reply.isSent) {
      reportInternalError(error, { method: request.method ?? '', url: request.url ?? '' });
      response.destroy();
      return;
    }
    if (error instanceof BodyTooLargeError) {
      apiContext.counters.add('client_errors');
      // The rest of the body is not read: the connection closes after the answer.
      reply.set('Connection', 'close');
      reply.error(413, error.message);
      return;
    }
    apiContext.counters.add('internal_errors');
    reportInternalError(error, { method: request.method ?? '', url: request.url ?? '' });
    reply.error(500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  }

  return {
    server,
    listen: (port, host) =>
      new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: async (closeOptions = {}) => {
      const graceMs = closeOptions.graceMs ?? defaultCloseGraceMs;
      const closed = new Promise<void>((resolve) => {
        // Requests in flight get the grace period to finish; then their connections are cut.
        const cut = setTimeout(() => server.closeAllConnections(), Math.max(0, graceMs));
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      // The queue still needs the store (and the leader), so it drains before the caller closes them.
      await Promise.all([writeQueue.close(graceMs), closed]);
    },
  };
}

/**
 * Failures of a queued batch worth retrying: nothing was done (no leader yet, a store not open or not
 * ready, the leader changed) or the leader could not answer in time. Anything else drops the batch.
 */
function isTransientWriteFailure(error: unknown): boolean {
  return error instanceof StoreError && transientWriteFailureCodes.has(error.code);
}

const transientWriteFailureCodes: ReadonlySet<StoreError['code']> = new Set([
  'not_leader',
  'leader_not_found',
  'not_open',
  'not_ready',
  'timeout',
  'shutting_down',
]);

/** Splits a request target into path and raw query; an absolute-form target loses its scheme and host. */
function splitTarget(url: string): { path: string; rawQuery: string } {
  let target = url;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(target);
  if (absolute !== null) target = target.slice(absolute[0].length);
  const question = target.indexOf('?');
  if (question === -1) return { path: target, rawQuery: '' };
  return { path: target.slice(0, question), rawQuery: target.slice(question + 1) };
}

function boundAddress(server: http.Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') return address ?? '';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as Partial<T>;
}

const systemClock: ApiClock = {
  nowMs: () => Date.now(),
  monotonicNs: () => process.hrtime.bigint(),
};

const systemRandom: ApiRandom = {
  int64: () => randomBytes(8).readBigInt64LE(0),
  bytes: (count) => new Uint8Array(randomBytes(count)),
};
