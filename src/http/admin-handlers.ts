// The endpoints about the node and its cluster: /status, /nodes, /leader, /readyz, /remove, /debug/vars,
// and the answers for endpoints that are not built yet (each still checks its method first, as rqlite's
// handlers do, so that a wrong method gets the same 405).
import os from 'node:os';
import v8 from 'node:v8';

import type { StatementResult } from '../command/types.js';
import { formatGoDuration, formatGoDurationMs } from './duration.js';
import { onLeader, defaultTimeoutMs, type Exchange } from './exchange.js';
import { JsonReader, JsonSyntaxError, parseJsonDocument, type JsonParsed } from './json-read.js';
import type { JsonValue } from './json-write.js';
import { jsonContentType } from './response.js';
import { renderDebugVars, renderNode, renderNodes, renderStatus, type NodeReport } from './status-render.js';
import { LeaderNotFoundError, StoreError, StoreNotOpenError, type ClusterMember } from './store.js';
import type { WriteQueueStatus } from './write-queue.js';

export async function handleStatus(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method !== 'GET') return response.send(405);
  let provided: Readonly<Record<string, JsonValue>>;
  try {
    provided = await context.status.status();
  } catch (error) {
    return response.error(500, `store stats: ${messageOf(error)}`);
  }
  const nowMs = context.clock.nowMs();
  const own: Record<string, JsonValue> = {
    build: { version: context.version },
    http: {
      auth: 'disabled',
      bind_addr: context.boundAddress(),
      queue: { _default: queueStatus(context.writeQueue.status()) },
      tls: { enabled: 'false' },
      ...(context.allowOrigin === undefined ? {} : { allow_origin: context.allowOrigin }),
    },
    node: {
      start_time: formatRfc3339(context.startedAtMs),
      current_time: formatRfc3339(nowMs),
      uptime: formatGoDuration(context.clock.monotonicNs() - context.startedAtNs),
    },
    os: {
      pid: process.pid,
      ppid: process.ppid,
      executable: process.execPath,
      hostname: os.hostname(),
    },
    // rqlite's key names (tools look for them), with the values of this runtime.
    runtime: {
      GOARCH: process.arch === 'x64' ? 'amd64' : process.arch,
      GOOS: process.platform,
      GOMAXPROCS: os.availableParallelism(),
      num_cpu: os.cpus().length,
      version: process.version,
    },
  };
  const tree = { ...own, ...provided };
  context.counters.add('num_status');
  response.send(200, renderStatus(tree, params.get('key') ?? '', params.has('pretty')));
}

export async function handleNodes(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method !== 'GET') return response.send(405);
  let members: readonly ClusterMember[];
  try {
    members = await context.status.members();
  } catch (error) {
    return response.error(error instanceof StoreNotOpenError ? 503 : 500, `store nodes: ${messageOf(error)}`);
  }
  const wanted = params.has('nonvoters') ? members : members.filter((member) => member.voter);
  let leader: ClusterMember | undefined;
  try {
    leader = await context.status.leader();
  } catch (error) {
    if (!(error instanceof LeaderNotFoundError)) return response.error(500, `leader: ${messageOf(error)}`);
  }
  const reports = await Promise.all(wanted.map((member) => probeMember(exchange, member, leader)));
  response.send(200, renderNodes(reports, params.get('ver') !== '2', params.has('pretty')));
}

export async function handleLeader(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  if (exchange.method === 'GET') {
    let leader: ClusterMember | undefined;
    try {
      leader = await context.status.leader();
    } catch (error) {
      if (!(error instanceof LeaderNotFoundError || error instanceof StoreNotOpenError)) {
        return response.error(500, `leader: ${messageOf(error)}`);
      }
    }
    if (leader === undefined) return response.error(503, 'leader not found');
    const report = await probeMember(exchange, leader, leader);
    return response.send(200, renderNode(report, params.has('pretty')));
  }
  if (exchange.method !== 'POST') return response.send(405);

  // Leadership transfer, optionally to a chosen node: {"id": "node2"} as application/json.
  let targetId: string | undefined;
  const declaredLength = Number(exchange.header('content-length') ?? '0');
  if (exchange.header('content-type') === 'application/json' && declaredLength > 0) {
    const body = await exchange.readBody();
    try {
      targetId = readStepdownTarget(body);
    } catch (error) {
      return response.error(400, `invalid JSON: ${messageOf(error)}`);
    }
  }
  const request = { wait: params.has('wait'), targetId };
  const { timeoutMs } = exchange.forwardOptions();
  const outcome = await onLeader(
    exchange,
    'stepdown',
    () => context.membership.stepdown({ ...request, timeoutMs, signal: exchange.signal }),
    (leader, forward) => context.proxy.stepdown(request, leader, forward),
  );
  if (outcome.kind === 'answered') return;
  if (outcome.kind === 'failed') {
    return response.error(
      outcome.error.code === 'not_open' ? 503 : 500,
      `stepdown: ${outcome.error.message}`,
    );
  }
  response.set('X-Rqlite-Served-By', outcome.servedBy);
  response.send(200);
}

export async function handleReadyz(exchange: Exchange): Promise<void> {
  const { response, params, context } = exchange;
  if (exchange.method !== 'GET') return response.send(405);
  context.counters.add('num_readyz');
  if (params.has('noleader')) return response.send(200, '[+]node ok');

  let leader: ClusterMember | undefined;
  try {
    leader = await context.status.leader();
  } catch (error) {
    if (!(error instanceof LeaderNotFoundError || error instanceof StoreNotOpenError)) {
      return response.error(500, `leader address: ${messageOf(error)}`);
    }
  }
  if (leader === undefined) return response.send(503, '[+]node ok\n[+]leader does not exist');
  const probe = await probeMember(exchange, leader, leader);
  if (!probe.reachable) {
    return response.send(503, `[+]node ok\n[+]leader not contactable: ${probe.error ?? ''}`);
  }
  if (!context.status.isReady()) return response.send(503, '[+]node ok\n[+]leader ok\n[+]store not ready');

  let lines = '[+]node ok\n[+]leader ok\n[+]store ok';
  const timeoutMs = params.durationMs('timeout', defaultTimeoutMs);
  if (params.has('sync')) {
    try {
      await context.status.waitForCommitted({ timeoutMs, signal: exchange.signal });
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return response.send(503, `${lines}\n[+]sync ${error.message}`);
    }
    lines += '\n[+]sync ok';
  }

  // Finally a local read proves the database itself answers.
  let results: readonly StatementResult[] = [];
  let failure = '<nil>';
  try {
    ({ results } = await context.store.query(
      [{ sql: 'SELECT 1', positional: [], named: {}, returnsRows: false }],
      {
        level: 'none',
        transaction: false,
        freshnessMs: 0,
        freshnessStrict: false,
        linearizableTimeoutMs: timeoutMs,
        dbTimeoutMs: timeoutMs,
        signal: exchange.signal,
      },
    ));
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    failure = error.message;
  }
  const first = results[0];
  if (
    results.length === 1 &&
    first?.kind === 'rows' &&
    first.rows.length === 1 &&
    first.rows[0]?.[0] === 1n
  ) {
    return response.send(200, `${lines}\n[+]db ok`);
  }
  response.send(503, `${lines}\n[+]db not ok: (${failure}, ${describeResults(results)})`);
}

export async function handleRemove(exchange: Exchange): Promise<void> {
  const { response, context } = exchange;
  if (exchange.method !== 'DELETE') return response.send(405);
  const nodeId = readRemoveTarget(await exchange.readBody());
  if (nodeId === undefined) return response.send(400);
  const { timeoutMs } = exchange.forwardOptions();
  const outcome = await onLeader(
    exchange,
    'remove node',
    () => context.membership.remove(nodeId, { timeoutMs, signal: exchange.signal }),
    (leader, forward) => context.proxy.remove(nodeId, leader, forward),
  );
  if (outcome.kind === 'answered') return;
  if (outcome.kind === 'failed') return response.error(500, outcome.error.message);
  response.set('X-Rqlite-Served-By', outcome.servedBy);
  response.send(200);
}

export function handleDebugVars(exchange: Exchange): void {
  const { response, params, context } = exchange;
  response.set('Content-Type', jsonContentType);
  const memory = process.memoryUsage();
  const vars = new Map<string, JsonValue>([
    ['cmdline', process.argv],
    [
      'memstats',
      new Map<string, JsonValue>([
        ['rss', memory.rss],
        ['heap_total', memory.heapTotal],
        ['heap_used', memory.heapUsed],
        ['external', memory.external],
        ['array_buffers', memory.arrayBuffers],
        // Where the JavaScript heap's memory is, space by space: which one grows tells a leak of
        // long-lived objects (old space) from a burst of short-lived ones (new space, large objects).
        ['heap_spaces', heapSpaces()],
      ]),
    ],
    ['http', { ...context.counters.snapshot(), ...queueCounters(context.writeQueue.status()) }],
    ['queue', queueVars(context.writeQueue.status())],
  ]);
  for (const [name, value] of Object.entries(context.status.debugVars())) vars.set(name, value);
  response.send(200, renderDebugVars(vars, params.get('key') ?? ''));
}

function heapSpaces(): Map<string, JsonValue> {
  const spaces = new Map<string, JsonValue>();
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_size === 0) continue;
    spaces.set(space.space_name, { size: space.space_size, used: space.space_used_size });
  }
  return spaces;
}

/**
 * `http.queue._default` in /status: rqlite's keys (`sequence_number` is the highest executed), then Dust's
 * own, which say whether queued writes have been failing or lost.
 */
function queueStatus(queue: WriteQueueStatus): Record<string, JsonValue> {
  return {
    batch_size: queue.batchSize,
    max_size: queue.capacity,
    sequence_number: queue.sequenceNumber,
    timeout: formatGoDurationMs(queue.timeoutMs),
    tx: queue.transaction,
    pending_requests: queue.queuedRequests,
    executed_batches: queue.batchesExecuted,
    failed_batch_attempts: queue.batchAttemptsFailed,
    dropped_batches: queue.batchesDropped,
    dropped_requests: queue.requestsDropped,
    statement_errors: queue.statementErrors,
    last_error: queue.lastError,
  };
}

/** The queued-write counters of the `http` map in /debug/vars: rqlite's names, then Dust's. */
function queueCounters(queue: WriteQueueStatus): Record<string, JsonValue> {
  return {
    queued_executions: queue.requestsAccepted,
    queued_executions_num_stmts_rx: queue.statementsAccepted,
    queued_executions_num_stmts_tx: queue.statementsSent,
    queued_executions_ok: queue.batchesExecuted,
    queued_executions_failed: queue.batchAttemptsFailed,
    queued_executions_dropped: queue.batchesDropped,
    queued_executions_requests_dropped: queue.requestsDropped,
    queued_executions_statement_errors: queue.statementErrors,
  };
}

/** The `queue` map of /debug/vars, as rqlite's batching queue reports itself. */
function queueVars(queue: WriteQueueStatus): Record<string, JsonValue> {
  return {
    objects_rx: queue.requestsAccepted,
    objects_tx: queue.requestsBatched,
    num_timeout: queue.batchesByTimeout,
    num_size: queue.batchesBySize,
    num_flush: queue.batchesByFlush,
  };
}

/** `GET /` goes to the console, as it does on rqlite. */
export function handleRoot(exchange: Exchange): void {
  exchange.response.redirect(302, '/console/');
}

export function handleConsole(exchange: Exchange): void {
  if (exchange.path === '/console') return exchange.response.redirect(301, '/console/');
  if (exchange.method !== 'GET' && exchange.method !== 'HEAD') return exchange.response.send(405);
  notSupportedYet(exchange, 'the web console (/console)');
}

/** An endpoint rqlite has and Dust does not have yet: its method check, then a clear 501. */
export function unsupportedEndpoint(method: string | undefined, what: string): (exchange: Exchange) => void {
  return (exchange) => {
    if (method !== undefined && exchange.method !== method) return exchange.response.send(405);
    notSupportedYet(exchange, what);
  };
}

function notSupportedYet(exchange: Exchange, what: string): void {
  exchange.response.error(501, `${what} is not supported yet by this version of Dust`);
}

/** Probes a member within `timeout`, as rqlite's node test does: reachable, leader, how long it took. */
async function probeMember(
  exchange: Exchange,
  member: ClusterMember,
  leader: ClusterMember | undefined,
): Promise<NodeReport> {
  const { timeoutMs, retries } = exchange.forwardOptions();
  const base = { id: member.id, address: member.address, voter: member.voter, version: '' };
  const startedNs = exchange.context.clock.monotonicNs();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
  });
  try {
    // Promise.race subscribes to both, so a probe that loses and fails later is not an unhandled rejection.
    const probe = await Promise.race([
      exchange.context.status.probe(member, { timeoutMs, retries, signal: exchange.signal }),
      timedOut,
    ]);
    if (probe === 'timeout') {
      return { ...base, reachable: false, leader: false, error: 'timeout waiting for node to respond' };
    }
    if (!probe.reachable) return { ...base, reachable: false, leader: false, error: probe.error };
    return {
      ...base,
      apiUrl: probe.apiUrl,
      version: probe.version === '' ? 'unknown' : probe.version,
      reachable: true,
      leader: leader !== undefined && leader.address === member.address,
      probeNs: exchange.context.clock.monotonicNs() - startedNs,
    };
  } catch (error) {
    return { ...base, reachable: false, leader: false, error: messageOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The node ID of DELETE /remove: the body must be a JSON object with exactly one member, `id`, a string
 * (Go decodes into map[string]string, so `null` reads as ""). Undefined means 400.
 */
function readRemoveTarget(body: Uint8Array): string | undefined {
  let parsed: JsonParsed;
  try {
    parsed = parseJsonDocument(body);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return undefined;
    throw error;
  }
  if (!(parsed instanceof Map) || parsed.size !== 1) return undefined;
  const members = parsed as ReadonlyMap<string, JsonParsed>;
  for (const value of members.values()) {
    if (value !== null && typeof value !== 'string') return undefined;
  }
  const id = members.get('id');
  if (!members.has('id')) return undefined;
  return id === null || id === undefined ? '' : (id as string);
}

/**
 * The `id` of a stepdown request, read as Go decodes into `struct { ID string "json:\"id\"" }`: the first
 * JSON value only, the key matched without regard to case, `null` leaving it empty.
 */
function readStepdownTarget(body: Uint8Array): string | undefined {
  const value = new JsonReader(body).readValue();
  if (value === null) return undefined;
  if (!(value instanceof Map)) throw new Error(`cannot unmarshal ${jsonKind(value)} into a stepdown request`);
  let id: string | undefined;
  for (const [key, member] of value as ReadonlyMap<string, JsonParsed>) {
    if (key.toLowerCase() !== 'id') continue;
    if (member === null) continue;
    if (typeof member !== 'string') {
      throw new Error(`cannot unmarshal ${jsonKind(member)} into field id of type string`);
    }
    id = member;
  }
  return id === '' ? undefined : id;
}

function jsonKind(value: JsonParsed): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'object';
  return 'number';
}

function describeResults(results: readonly StatementResult[]): string {
  return `[${results.map((result) => (result.kind === 'error' ? result.error : result.kind)).join(' ')}]`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped) in UTC. */
export function formatRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d+)Z$/, (_match, fraction: string) => {
    const trimmed = fraction.replace(/0+$/, '');
    return trimmed === '' ? 'Z' : `.${trimmed}Z`;
  });
}
