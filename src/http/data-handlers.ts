// The data endpoints: /db/execute, /db/query, /db/request and /db/sql. Each reads its statements, prepares
// them (empty SQL dropped, RANDOM()/'now' rewritten where the statements will be logged, RETURNING
// detected, disallowed PRAGMAs refused), asks the store (or the leader), and renders rqlite's JSON.
import type { Statement, StatementsCommand } from '../command/types.js';
import { decodeUtf8 } from './go-text.js';
import {
  defaultTimeoutMs,
  onLeader,
  onLeaderUnattended,
  type ApiContext,
  type Exchange,
  type LeaderOutcome,
} from './exchange.js';
import { noStatements, parseStatementsBody, RequestBodyError, type ParsedStatement } from './request-body.js';
import { renderResults, renderSqlPreviews, type ResultsShape, type SqlPreview } from './render.js';
import { UnsupportedJsonValueError } from './json-write.js';
import { jsonContentType } from './response.js';
import {
  LeaderNotFoundError,
  StoreError,
  type ExecuteOptions,
  type ForwardOptions,
  type Forwarded,
  type LeaderHint,
  type ReadOptions,
  type SqlTools,
  type StatementsResponse,
} from './store.js';
import {
  abortReason,
  WriteQueueClosedError,
  WriteQueueFullError,
  type QueuedOutcome,
} from './write-queue.js';

/** rqlite's default wait for a linearizable read's preconditions. */
const defaultLinearizableTimeoutMs = 10_000;

export async function handleExecute(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method !== 'POST') return response.send(405);
  if (params.has('queue')) return handleQueuedExecute(exchange);
  const parsed = await readStatements(exchange, true);
  if (parsed === undefined) return;
  context.counters.add('execute_stmts_rx', parsed.length);
  const statements = prepareStatements(exchange, parsed, true);
  if (statements === undefined) return;
  if (refuseDisallowedPragma(exchange, statements, 'mixed')) return;
  if (statements.length === 0) return respondWithResults(exchange, { results: [] }, 'mixed', undefined);

  const command: StatementsCommand = {
    kind: 'statements',
    mode: 'execute',
    statements,
    transaction: params.has('transaction'),
  };
  const options = { dbTimeoutMs: dbTimeoutMs(exchange), signal: exchange.signal };
  const outcome = await onLeader(
    exchange,
    'Execute',
    () => executeHere(context, command, options),
    (leader, forward) => forwardExecute(context, command, options, leader, forward),
  );
  answerWith(exchange, outcome, 'mixed');
}

/** The two halves of every execute: on this node when it leads, else on the leader. */
function executeHere(
  context: ApiContext,
  command: StatementsCommand,
  options: ExecuteOptions,
): Promise<StatementsResponse> {
  return context.store.execute(command, options);
}

function forwardExecute(
  context: ApiContext,
  command: StatementsCommand,
  options: ExecuteOptions,
  leader: LeaderHint,
  forward: ForwardOptions,
): Promise<Forwarded<StatementsResponse>> {
  context.counters.add('remote_executions');
  return context.proxy.execute(command, options, leader, forward);
}

/**
 * Executes a batch of queued writes by the path a plain /db/execute takes. The batch has no client: it is
 * never aborted, and it may wait for the leader as long as a client's default `timeout`.
 */
export async function executeQueuedBatch(
  context: ApiContext,
  command: StatementsCommand,
): Promise<StatementsResponse> {
  const signal = new AbortController().signal;
  const options: ExecuteOptions = { dbTimeoutMs: 0, signal };
  const forwarded = await onLeaderUnattended(
    context,
    () => executeHere(context, command, options),
    (leader, forward) => forwardExecute(context, command, options, leader, forward),
    { timeoutMs: defaultTimeoutMs, retries: 0, signal },
  );
  return forwarded.value;
}

/**
 * `POST /db/execute?queue`: the statements are read and prepared exactly as for a plain execute, then
 * queued, and the answer carries the request's sequence number. With `wait` the answer waits until the
 * request's batch has been executed (408 after `timeout`); an empty body with `wait` is a barrier that
 * waits for everything queued before it.
 */
async function handleQueuedExecute(exchange: Exchange): Promise<void> {
  const { params, context, response } = exchange;
  const wait = params.has('wait');
  const parsed = await readStatements(exchange, true, wait);
  if (parsed === undefined) return;
  const statements = prepareStatements(exchange, parsed, true);
  if (statements === undefined) return;
  if (refuseDisallowedPragma(exchange, statements, 'mixed')) return;
  if (!params.has('noleader') && !(await leaderIsKnown(context))) {
    context.counters.add('leader_not_found');
    return response.error(503, new LeaderNotFoundError().message);
  }

  const timeoutMs = Math.max(0, params.durationMs('timeout', defaultTimeoutMs));
  const startedMs = context.clock.nowMs();
  let ticket;
  try {
    ticket = await context.writeQueue.enqueue(statements, { timeoutMs, signal: exchange.signal });
  } catch (error) {
    if (error instanceof WriteQueueFullError || error instanceof WriteQueueClosedError) {
      return response.error(503, error.message);
    }
    throw error;
  }
  if (!wait)
    return respondWithResults(
      exchange,
      { results: [] },
      'mixed',
      undefined,
      undefined,
      ticket.sequenceNumber,
    );

  context.counters.add('queued_executions_wait');
  const remainingMs = Math.max(0, timeoutMs - (context.clock.nowMs() - startedMs));
  const outcome = await settledWithin(ticket.settled, remainingMs, exchange.signal);
  if (outcome === undefined) return response.error(408, 'queue wait timeout');
  const error = outcome.kind === 'dropped' ? outcome.reason : undefined;
  respondWithResults(exchange, { results: [] }, 'mixed', undefined, error, ticket.sequenceNumber);
}

async function leaderIsKnown(context: ApiContext): Promise<boolean> {
  try {
    return (await context.status.leader()) !== undefined;
  } catch (error) {
    // No leader, or a store that is not open yet: either way no leader can be named.
    if (error instanceof StoreError) return false;
    throw error;
  }
}

/** The outcome, or undefined when `timeoutMs` passes first; the client leaving ends the wait too. */
function settledWithin(
  settled: Promise<QueuedOutcome>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<QueuedOutcome | undefined> {
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      finish();
      resolve(undefined);
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then((outcome) => {
      finish();
      resolve(outcome);
    });
  });
}

export async function handleQuery(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method !== 'GET' && exchange.method !== 'POST') return response.send(405);
  let parsed: ParsedStatement[] | undefined;
  if (exchange.method === 'GET') {
    parsed = [{ sql: params.get('q') ?? '', positional: [], named: {} }];
  } else {
    parsed = await readStatements(exchange, true);
    if (parsed === undefined) return;
  }
  context.counters.add('query_stmts_rx', parsed.length);
  const options = readOptions(exchange);
  // Only strong reads go through the log, so only they need deterministic SQL.
  const statements = prepareStatements(exchange, parsed, options.level === 'strong');
  if (statements === undefined) return;
  if (refuseDisallowedPragma(exchange, statements, 'rows')) return;
  if (statements.length === 0) return respondWithResults(exchange, { results: [] }, 'rows', undefined);

  const outcome = await onLeader(
    exchange,
    'query',
    () => context.store.query(statements, options),
    (leader, forward) => {
      context.counters.add('remote_queries');
      return context.proxy.query(statements, options, leader, forward);
    },
  );
  answerWith(exchange, outcome, 'rows');
}

export async function handleRequest(exchange: Exchange): Promise<void> {
  const { response, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method !== 'POST') return response.send(405);
  const parsed = await readStatements(exchange, false);
  if (parsed === undefined) return;
  context.counters.add('request_stmts_rx', parsed.length);
  // Any statement may be a write, and a request with a write is logged whole: rewrite them all.
  const statements = prepareStatements(exchange, parsed, true);
  if (statements === undefined) return;
  if (refuseDisallowedPragma(exchange, statements, 'mixed')) return;
  if (statements.length === 0) return respondWithResults(exchange, { results: [] }, 'mixed', undefined);

  const options = readOptions(exchange);
  const outcome = await onLeader(
    exchange,
    'Request',
    () => context.store.request(statements, options),
    (leader, forward) => {
      context.counters.add('remote_requests');
      return context.proxy.request(statements, options, leader, forward);
    },
  );
  answerWith(exchange, outcome, 'mixed');
}

/** /db/sql: shows what each statement would be logged as, without executing anything. */
export async function handleSqlPreview(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method !== 'GET' && exchange.method !== 'POST') return response.send(405);
  let parsed: ParsedStatement[] | undefined;
  if (exchange.method === 'GET') {
    const sql = params.get('q');
    if (sql === undefined || sql === '') return response.error(400, 'query not specified');
    parsed = [{ sql, positional: [], named: {} }];
  } else {
    parsed = await readStatements(exchange, false);
    if (parsed === undefined) return;
  }
  const previews = parsed.map((statement): SqlPreview => {
    try {
      return { original: statement.sql, rewritten: rewriteSql(exchange, statement.sql) };
    } catch (error) {
      return { original: statement.sql, error: error instanceof Error ? error.message : String(error) };
    }
  });
  const seconds = params.has('timings') ? exchange.elapsedSeconds() : undefined;
  context.counters.add('sql_analyze');
  response.send(200, renderSqlPreviews(previews, seconds, params.has('pretty')));
}

/**
 * The statements of the body, or undefined when the request has been answered (400/413). A `text/plain`
 * body (where allowed) is one SQL string, which may hold several statements.
 */
async function readStatements(
  exchange: Exchange,
  allowPlainText: boolean,
  allowNone = false,
): Promise<ParsedStatement[] | undefined> {
  const body = await exchange.readBody();
  if (allowPlainText && (exchange.header('content-type') ?? '').startsWith('text/plain')) {
    return [{ sql: decodeUtf8(body), positional: [], named: {} }];
  }
  // A queued write that waits may have no statement at all (it is then a barrier): an empty body or `[]`.
  if (allowNone && body.every((byte) => isJsonSpace(byte))) return [];
  try {
    return parseStatementsBody(body, exchange.context.statementsMax);
  } catch (error) {
    if (!(error instanceof RequestBodyError)) throw error;
    if (allowNone && error.message === noStatements) return [];
    exchange.context.counters.add('client_errors');
    exchange.response.error(error.status, error.message);
    return undefined;
  }
}

/**
 * Statements ready for the store: empty SQL strings dropped (rqlite skips them without a result), SQL
 * rewritten when `rewrite` is set and the client did not opt out, RETURNING detected unless `noparse`.
 * Returns undefined when the request has been answered (a rewriter failure, 500).
 */
function prepareStatements(
  exchange: Exchange,
  parsed: readonly ParsedStatement[],
  rewrite: boolean,
): Statement[] | undefined {
  const { params, context } = exchange;
  const parse = !params.has('noparse');
  const rewriting = parse && rewrite ? rewriteOptions(exchange) : undefined;
  const statements: Statement[] = [];
  try {
    for (const statement of parsed) {
      if (statement.sql === '') continue;
      const sql = rewriting === undefined ? statement.sql : context.sql.rewrite(statement.sql, rewriting).sql;
      const returnsRows = parse && context.sql.analyze(sql).returning;
      statements.push({ sql, positional: statement.positional, named: statement.named, returnsRows });
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // rqlite answers a failure of its SQL processor (a bug there) the same way.
    exchange.response.error(500, `SQL rewrite: ${message}`);
    return undefined;
  }
  return statements;
}

type RewriteOptions = Parameters<SqlTools['rewrite']>[1];

function rewriteSql(exchange: Exchange, sql: string): string {
  const options = rewriteOptions(exchange);
  return options === undefined ? sql : exchange.context.sql.rewrite(sql, options).sql;
}

/** What the client asked to be rewritten, or undefined when nothing is (`norwrandom` and `norwtime`). */
function rewriteOptions(exchange: Exchange): RewriteOptions | undefined {
  const { params, context } = exchange;
  const random = !params.has('norwrandom');
  const time = !params.has('norwtime');
  if (!random && !time) return undefined;
  return {
    random,
    time,
    randomInt64: () => context.random.int64(),
    randomBytes: (count) => context.random.bytes(count),
    nowMs: () => context.clock.nowMs(),
  };
}

/** rqlite refuses the whole request, in a 200 body, when any statement changes a PRAGMA it relies on. */
function refuseDisallowedPragma(
  exchange: Exchange,
  statements: readonly Statement[],
  shape: ResultsShape,
): boolean {
  const refused = statements.some(
    (statement) => exchange.context.sql.disallowedPragma(statement.sql) !== undefined,
  );
  if (refused) respondWithResults(exchange, { results: [] }, shape, undefined, 'disallowed pragma');
  return refused;
}

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function readOptions(exchange: Exchange): ReadOptions {
  const { params } = exchange;
  return {
    level: params.level(),
    transaction: params.has('transaction'),
    freshnessMs: Math.max(0, params.durationMs('freshness', 0)),
    freshnessStrict: params.has('freshness_strict'),
    linearizableTimeoutMs: Math.max(
      0,
      params.durationMs('linearizable_timeout', defaultLinearizableTimeoutMs),
    ),
    dbTimeoutMs: dbTimeoutMs(exchange),
    signal: exchange.signal,
  };
}

function dbTimeoutMs(exchange: Exchange): number {
  return Math.max(0, exchange.params.durationMs('db_timeout', 0));
}

/** The response to a data operation: its results, or the failure of the request as a whole. */
function answerWith(
  exchange: Exchange,
  outcome: LeaderOutcome<StatementsResponse>,
  shape: ResultsShape,
): void {
  if (outcome.kind === 'answered') return;
  if (outcome.kind === 'failed') {
    respondWithResults(exchange, { results: [] }, shape, undefined, outcome.error.message);
    return;
  }
  respondWithResults(exchange, outcome.value, shape, outcome.servedBy);
}

function respondWithResults(
  exchange: Exchange,
  outcome: StatementsResponse,
  shape: ResultsShape,
  servedBy: string | undefined,
  error?: string,
  sequenceNumber?: bigint,
): void {
  const { params, response } = exchange;
  const timings = params.has('timings');
  const raftIndex = params.has('raft_index') ? outcome.raftIndex : undefined;
  const envelope = {
    results: outcome.results,
    shape,
    ...(error === undefined ? {} : { error }),
    ...(timings ? { seconds: exchange.elapsedSeconds() } : {}),
    ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
    ...(raftIndex === undefined ? {} : { raftIndex }),
  };
  const options = {
    pretty: params.has('pretty'),
    associative: params.has('associative'),
    blobArray: params.has('blob_array'),
    timings,
  };
  let body: string;
  try {
    body = renderResults(envelope, options);
  } catch (renderError) {
    // A value JSON cannot carry (an infinite REAL): rqlite fails the same way, with this message.
    if (!(renderError instanceof UnsupportedJsonValueError)) throw renderError;
    response.error(500, `json: error calling MarshalJSON for type *http.DBResults: ${renderError.message}`);
    return;
  }
  if (servedBy !== undefined) response.set('X-Rqlite-Served-By', servedBy);
  response.send(200, body);
}
