// The endpoints that move a whole database: GET /db/backup (a SQLite file or a SQL dump, streamed),
// POST /db/load (a SQLite file or SQL text, through the log), POST /boot (a SQLite file streamed into a
// single-node cluster) and POST /snapshot. Each checks its method first, as rqlite's handlers do.
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import type { Statement, StatementResult, StatementsCommand } from '../command/types.js';
import { onLeader, type Exchange, type LeaderOutcome } from './exchange.js';
import { ClientGoneError } from './body.js';
import {
  deferForeignKeysStatement,
  LoadScriptError,
  loadScriptStatements,
  type ScriptStatement,
} from './load-script.js';
import { renderResults } from './render.js';
import { jsonContentType } from './response.js';
import {
  BackupError,
  StoreError,
  type BackupFormat,
  type BackupStore,
  type StatementsResponse,
} from './store.js';
import { relayGetToLeader } from './relay.js';

export async function handleBackup(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  if (exchange.method !== 'GET') return response.send(405);
  const store = context.backup;
  if (store === undefined) return notAvailable(exchange, 'backup (/db/backup)');
  const format = backupFormat(params.get('fmt'));
  const vacuum = params.has('vacuum');
  const tables = (params.get('tables') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  let refusal: string | undefined;
  if (format === undefined) {
    refusal = `invalid backup format ${JSON.stringify(params.get('fmt'))}: use binary, delete or sql`;
  } else if (vacuum && format === 'sql') {
    refusal = 'vacuum applies to binary backups only (fmt=binary or fmt=delete)';
  } else if (tables.length > 0 && format !== 'sql') {
    refusal = 'tables applies to SQL dumps only (fmt=sql)';
  }
  if (format === undefined || refusal !== undefined) {
    context.counters.add('client_errors');
    return response.error(400, refusal ?? 'invalid backup format');
  }
  const options = { format, tables, vacuum, noLeader: params.has('noleader'), signal: exchange.signal };
  let outcome: LeaderOutcome<Awaited<ReturnType<BackupStore['backup']>>>;
  try {
    outcome = await onLeader(
      exchange,
      'backup',
      () => store.backup(options),
      (leader, forward) => {
        // This node compresses what it relays, so the leader is asked for the plain bytes.
        const query = new URLSearchParams(exchange.rawQuery);
        query.delete('compress');
        const queryText = query.size === 0 ? '' : `?${query.toString()}`;
        return relayGetToLeader(leader, `${exchange.path}${queryText}`, forward);
      },
    );
  } catch (error) {
    if (error instanceof BackupError) return answerBackupError(exchange, error);
    throw error;
  }
  if (outcome.kind === 'answered') return;
  if (outcome.kind === 'failed')
    return response.error(storeErrorStatus(outcome.error, 500), outcome.error.message);

  const backup = outcome.value;
  try {
    response.set('Content-Type', format === 'sql' ? 'application/sql' : 'application/octet-stream');
    response.set('X-Rqlite-Served-By', outcome.servedBy);
    const body = response.stream(200);
    // The body is streamed: a failure from here on can only be told by ending the connection early,
    // which a client sees as an incomplete (chunked) body. pipeline() does that.
    if (params.has('compress')) await pipeline(backup.bytes, createGzip(), body);
    else await pipeline(backup.bytes, body);
  } catch (error) {
    // A client that went away is nobody's fault; anything else is a failure worth reporting.
    if (isConnectionEnd(error)) throw new ClientGoneError();
    throw error;
  } finally {
    await backup.close();
  }
}

function isConnectionEnd(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}

export async function handleLoad(exchange: Exchange): Promise<void> {
  const { response, context } = exchange;
  if (exchange.method !== 'POST') return response.send(405);
  // SQL text alone could be loaded through the DataStore, but a node without the BackupStore offers
  // neither kind, so that a client never finds one half of the endpoint working.
  const store = context.backup;
  if (store === undefined) return notAvailable(exchange, 'loading (/db/load)');
  response.set('Content-Type', jsonContentType);
  const body = await exchange.readBody();
  if (startsLikeSqlite(body)) return loadDatabase(exchange, store, body);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    context.counters.add('client_errors');
    return response.error(
      400,
      'invalid load data: the body is neither a SQLite database (which starts with "SQLite format 3") ' +
        'nor SQL text in UTF-8',
    );
  }
  return loadScript(exchange, text);
}

async function loadDatabase(exchange: Exchange, store: BackupStore, image: Uint8Array): Promise<void> {
  let outcome: LeaderOutcome<StatementsResponse>;
  try {
    outcome = await onLeader(
      exchange,
      'load',
      () => store.load(image, { dbTimeoutMs: 0, signal: exchange.signal }),
      (leader, forward) => exchange.context.proxy.load(image, leader, forward),
    );
  } catch (error) {
    if (error instanceof BackupError) return answerBackupError(exchange, error);
    throw error;
  }
  if (outcome.kind === 'answered') return;
  if (outcome.kind === 'failed') {
    return sendResults(exchange, { results: [] }, undefined, outcome.error.message);
  }
  sendResults(exchange, outcome.value, outcome.servedBy);
}

/**
 * SQL text: its statements, without the script's own transaction control, run as one transaction
 * through the log (DataStore.execute), so that every node loads it and a failure loads nothing.
 */
async function loadScript(exchange: Exchange, text: string): Promise<void> {
  const { response, context } = exchange;
  let script: ScriptStatement[];
  try {
    script = loadScriptStatements(text);
  } catch (error) {
    if (!(error instanceof LoadScriptError)) throw error;
    context.counters.add('client_errors');
    return response.error(400, error.message);
  }
  if (script.length === 0) return sendResults(exchange, { results: [] }, undefined);
  const refused = script.some(
    (statement) =>
      /^(pragma|explain)\b/i.test(statement.sql) && context.sql.disallowedPragma(statement.sql) !== undefined,
  );
  if (refused) return sendResults(exchange, { results: [] }, undefined, 'disallowed pragma');

  let statements: Statement[];
  try {
    statements = [
      { sql: deferForeignKeysStatement, positional: [], named: {}, returnsRows: false },
      ...script.map((statement) => scriptStatement(exchange, statement.sql)),
    ];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return response.error(500, `SQL rewrite: ${message}`);
  }
  const command: StatementsCommand = { kind: 'statements', mode: 'execute', statements, transaction: true };
  const options = { dbTimeoutMs: 0, signal: exchange.signal };
  const outcome = await onLeader(
    exchange,
    'Execute',
    () => context.store.execute(command, options),
    (leader, forward) => {
      context.counters.add('remote_executions');
      return context.proxy.execute(command, options, leader, forward);
    },
  );
  if (outcome.kind === 'answered') return;
  if (outcome.kind === 'failed')
    return sendResults(exchange, { results: [] }, undefined, outcome.error.message);
  const results = outcome.value.results;
  const last = results[results.length - 1];
  // One result for the whole text, as rqlite gives for a load: the failing statement's error (everything
  // was rolled back), or the counters after the last statement.
  let summary: StatementResult | undefined = last;
  if (last?.kind === 'error') {
    // Results stop at the failing statement; the first result is the foreign-key setting's.
    const failed = script[results.length - 2];
    const where = failed === undefined ? 'before the SQL text' : `at line ${failed.line} of the SQL text`;
    summary = { kind: 'error', error: `${last.error} (${where}; nothing was loaded)` };
  }
  sendResults(
    exchange,
    { ...outcome.value, results: summary === undefined ? [] : [summary] },
    outcome.servedBy,
  );
}

/** A statement of a load script as it will be logged: made deterministic like any other write. */
function scriptStatement(exchange: Exchange, sql: string): Statement {
  const { params, context } = exchange;
  let text = sql;
  const random = !params.has('norwrandom');
  const time = !params.has('norwtime');
  // Only a statement that names a random or clock function, or 'now', can change; rows of a dump do not
  // (a cheap test that skips the tokenizer for almost every line of a large script).
  if (
    (random || time) &&
    !params.has('noparse') &&
    /random|date|time|julianday|unixepoch|now|subsec/i.test(sql)
  ) {
    text = context.sql.rewrite(sql, {
      random,
      time,
      randomInt64: () => context.random.int64(),
      randomBytes: (count) => context.random.bytes(count),
      nowMs: () => context.clock.nowMs(),
    }).sql;
  }
  const returnsRows = /returning/i.test(text) && context.sql.analyze(text).returning;
  return { sql: text, positional: [], named: {}, returnsRows };
}

export async function handleBoot(exchange: Exchange): Promise<void> {
  const { response, context } = exchange;
  if (exchange.method !== 'POST') return response.send(405);
  const store = context.backup;
  if (store === undefined) return notAvailable(exchange, 'booting (/boot)');
  try {
    await store.boot(exchange.request, { bytesMax: context.bootBytesMax, signal: exchange.signal });
  } catch (error) {
    if (exchange.signal.aborted) throw new ClientGoneError();
    // The body may be unread: the connection cannot carry another request after this answer.
    response.set('Connection', 'close');
    if (error instanceof BackupError) return answerBackupError(exchange, error);
    if (error instanceof StoreError) return response.error(503, error.message);
    throw error;
  }
  response.send(200);
}

export async function handleSnapshot(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  if (exchange.method !== 'POST') return response.send(405);
  const store = context.backup;
  if (store === undefined) return notAvailable(exchange, 'on-demand snapshots (/snapshot)');
  const trailingLogs = params.integer('trailing_logs', 0);
  if (trailingLogs < 0 || !Number.isSafeInteger(trailingLogs)) {
    context.counters.add('client_errors');
    return response.error(400, 'trailing_logs must be a number of log entries, 0 or more');
  }
  let taken: boolean;
  try {
    taken = await store.snapshot({ trailingLogs });
  } catch (error) {
    if (error instanceof BackupError) return answerBackupError(exchange, error);
    if (error instanceof StoreError) return response.error(storeErrorStatus(error, 500), error.message);
    throw error;
  }
  // 204 has no body, so no Content-Length either.
  if (!taken) return void response.stream(204).end();
  response.send(200);
}

function backupFormat(value: string | undefined): BackupFormat | undefined {
  switch (value) {
    case undefined:
    case '':
    case 'binary':
      return 'binary';
    case 'delete':
      return 'delete';
    case 'sql':
      return 'sql';
    default:
      return undefined;
  }
}

function answerBackupError(exchange: Exchange, error: BackupError): void {
  const { response, context } = exchange;
  switch (error.code) {
    case 'invalid_data':
      context.counters.add('client_errors');
      return response.error(400, error.message);
    case 'too_large':
      context.counters.add('client_errors');
      response.set('Connection', 'close');
      return response.error(413, error.message);
    case 'not_single_node':
    case 'busy':
      return response.error(503, error.message);
  }
}

/** The status for a store failure on these endpoints: unavailable states are 503, the rest `otherwise`. */
function storeErrorStatus(error: StoreError, otherwise: number): number {
  switch (error.code) {
    case 'not_leader':
    case 'leader_not_found':
    case 'not_open':
    case 'not_ready':
    case 'shutting_down':
    case 'timeout':
      return 503;
    case 'forward_unauthorized':
      return 401;
    case 'stale_read':
    case 'failed':
      return otherwise;
  }
}

function sendResults(
  exchange: Exchange,
  outcome: StatementsResponse,
  servedBy: string | undefined,
  error?: string,
): void {
  const { params, response } = exchange;
  const timings = params.has('timings');
  const raftIndex = params.has('raft_index') ? outcome.raftIndex : undefined;
  const body = renderResults(
    {
      results: outcome.results,
      shape: 'mixed',
      ...(error === undefined ? {} : { error }),
      ...(timings ? { seconds: exchange.elapsedSeconds() } : {}),
      ...(raftIndex === undefined ? {} : { raftIndex }),
    },
    { pretty: params.has('pretty'), associative: false, blobArray: false, timings },
  );
  if (servedBy !== undefined) response.set('X-Rqlite-Served-By', servedBy);
  response.set('Content-Type', jsonContentType);
  response.send(200, body);
}

function notAvailable(exchange: Exchange, what: string): void {
  exchange.response.error(501, `${what} is not supported yet by this version of Dust`);
}

const sqliteHeader = 'SQLite format 3\u0000';

/** Whether the bytes start with SQLite's 16-byte header string, whatever the Content-Type said. */
function startsLikeSqlite(bytes: Uint8Array): boolean {
  if (bytes.length < sqliteHeader.length) return false;
  for (let index = 0; index < sqliteHeader.length; index++) {
    if (bytes[index] !== sqliteHeader.charCodeAt(index)) return false;
  }
  return true;
}
