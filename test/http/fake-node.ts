// A small in-memory node for the HTTP tests: a store that records what it was asked and answers with
// results the test constructs, a status provider and membership whose answers the test sets, and a
// client that returns responses as raw as Node lets us see them.
import http from 'node:http';

import type { ResultValue, Statement, StatementResult, StatementsCommand } from '../../src/command/types.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/http/server.js';
import type {
  ClusterMember,
  DataStore,
  ExecuteOptions,
  JsonValue,
  LeaderProxy,
  MemberProbe,
  MembershipStore,
  QueryOptions,
  ReadOptions,
  RequestOptions,
  SqlTools,
  StatementsResponse,
  StatusProvider,
} from '../../src/http/store.js';

export type Operation = 'execute' | 'query' | 'request';

export interface StoreCall {
  readonly operation: Operation;
  readonly statements: readonly Statement[];
  readonly command?: StatementsCommand;
  readonly options: ExecuteOptions | ReadOptions;
}

export type Responder = (call: StoreCall) => StatementsResponse | Promise<StatementsResponse>;

/** A write result with SQLite's connection-level numbers. */
export function write(lastInsertId: bigint, rowsAffected: bigint, seconds = 0): StatementResult {
  return { kind: 'write', lastInsertId, rowsAffected, seconds };
}

export function rows(
  columns: readonly string[],
  types: readonly string[],
  values: readonly (readonly ResultValue[])[],
  seconds = 0,
): StatementResult {
  return { kind: 'rows', columns, types, rows: values, seconds };
}

export function failed(error: string): StatementResult {
  return { kind: 'error', error };
}

/** Answers every statement with an empty write (execute, request) or an empty read (query). */
const defaultResponder: Responder = (call) => ({
  results: call.statements.map(() => (call.operation === 'query' ? rows([], [], []) : write(0n, 0n))),
});

export class FakeStore implements DataStore {
  readonly calls: StoreCall[] = [];
  responder: Responder = defaultResponder;

  execute(command: StatementsCommand, options: ExecuteOptions): Promise<StatementsResponse> {
    return this.answer({ operation: 'execute', statements: command.statements, command, options });
  }

  query(statements: readonly Statement[], options: QueryOptions): Promise<StatementsResponse> {
    return this.answer({ operation: 'query', statements, options });
  }

  request(statements: readonly Statement[], options: RequestOptions): Promise<StatementsResponse> {
    return this.answer({ operation: 'request', statements, options });
  }

  private async answer(call: StoreCall): Promise<StatementsResponse> {
    this.calls.push(call);
    return this.responder(call);
  }
}

export const selfMember: ClusterMember = { id: '1', address: '127.0.0.1:4002', voter: true };

export class FakeStatus implements StatusProvider {
  members_: readonly ClusterMember[] = [selfMember];
  leader_: ClusterMember | undefined | Error = selfMember;
  ready = true;
  sections: Record<string, JsonValue> = {
    store: { leader: { addr: '127.0.0.1:4002', node_id: '1' }, raft: { state: 'Leader', term: 2n } },
  };
  vars: Record<string, JsonValue> = { store: { num_snapshots: 0n } };
  probe_: (member: ClusterMember) => MemberProbe | Promise<MemberProbe> = () => ({
    reachable: true,
    apiUrl: 'http://127.0.0.1:4001',
    version: 'v0.1.0',
  });
  committed: () => Promise<void> = () => Promise.resolve();

  status(): Promise<Readonly<Record<string, JsonValue>>> {
    return Promise.resolve(this.sections);
  }
  debugVars(): Readonly<Record<string, JsonValue>> {
    return this.vars;
  }
  members(): Promise<readonly ClusterMember[]> {
    return Promise.resolve(this.members_);
  }
  leader(): Promise<ClusterMember | undefined> {
    return this.leader_ instanceof Error ? Promise.reject(this.leader_) : Promise.resolve(this.leader_);
  }
  async probe(member: ClusterMember): Promise<MemberProbe> {
    return this.probe_(member);
  }
  isReady(): boolean {
    return this.ready;
  }
  waitForCommitted(): Promise<void> {
    return this.committed();
  }
}

export class FakeMembership implements MembershipStore {
  readonly removed: string[] = [];
  readonly stepdowns: { wait: boolean; targetId: string | undefined }[] = [];
  failure: Error | undefined;

  remove(nodeId: string): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.removed.push(nodeId);
    return Promise.resolve();
  }
  stepdown(options: { wait: boolean; targetId: string | undefined }): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.stepdowns.push({ wait: options.wait, targetId: options.targetId });
    return Promise.resolve();
  }
}

/** SQL tools that change nothing but record what they were asked; tests replace parts as needed. */
export class FakeSql implements SqlTools {
  readonly rewritten: string[] = [];
  rewrite(
    sql: string,
    options: { random: boolean; time: boolean; randomInt64(): bigint },
  ): { sql: string; changed: boolean } {
    this.rewritten.push(sql);
    // A visible, deterministic rewrite so tests can tell whether it happened.
    if (options.random && sql.includes('RANDOM()')) {
      return { sql: sql.replaceAll('RANDOM()', String(options.randomInt64())), changed: true };
    }
    return { sql, changed: false };
  }
  analyze(sql: string): { returning: boolean; explain: boolean; empty: boolean } {
    return {
      returning: /\breturning\b/i.test(sql),
      explain: /^\s*explain\b/i.test(sql),
      empty: sql.trim() === '',
    };
  }
  disallowedPragma(sql: string): string | undefined {
    return /^\s*pragma\s+journal_mode\s*=/i.test(sql) ? 'journal_mode' : undefined;
  }
}

export interface FakeNode {
  readonly store: FakeStore;
  readonly status: FakeStatus;
  readonly membership: FakeMembership;
  readonly sql: FakeSql;
  readonly api: ApiServer;
  readonly port: number;
  readonly internalErrors: unknown[];
  close(): Promise<void>;
}

export const fixedNowMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

/** Starts an API server on 127.0.0.1 (port chosen by the OS) over fakes, with a fixed clock and randomness. */
export async function startFakeNode(
  options: Partial<ApiServerOptions> = {},
  proxy?: LeaderProxy,
): Promise<FakeNode> {
  const store = new FakeStore();
  const status = new FakeStatus();
  const membership = new FakeMembership();
  const sql = new FakeSql();
  const internalErrors: unknown[] = [];
  let tick = 0n;
  const api = createApiServer(
    {
      store,
      status,
      membership,
      sql,
      ...(proxy === undefined ? {} : { proxy }),
      clock: { nowMs: () => fixedNowMs, monotonicNs: () => (tick += 1_000n) },
      random: { int64: () => 42n, bytes: (count) => new Uint8Array(count).fill(7) },
      onInternalError: (error) => internalErrors.push(error),
    },
    { version: 'v0.1.0', advertisedAddress: '127.0.0.1:4001', ...options },
  );
  const address = await api.listen(0, '127.0.0.1');
  return {
    store,
    status,
    membership,
    sql,
    api,
    port: address.port,
    internalErrors,
    close: () => api.close(),
  };
}

export interface RawResponse {
  readonly status: number;
  /** Header names in the order they were sent, with their values. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  header(name: string): string | undefined;
  text(): string;
}

/** One request on a fresh connection; the response with its headers in wire order. */
export function send(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  // Node sends a DELETE body with neither Content-Length nor chunking unless told: say how long it is.
  const length =
    body === undefined || Object.keys(headers).some((name) => name.toLowerCase() === 'transfer-encoding')
      ? {}
      : { 'Content-Length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { Connection: 'close', ...length, ...headers },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const pairs: [string, string][] = [];
          for (let index = 0; index < response.rawHeaders.length; index += 2) {
            pairs.push([response.rawHeaders[index] ?? '', response.rawHeaders[index + 1] ?? '']);
          }
          const bodyBytes = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: pairs,
            body: bodyBytes,
            header: (name) => pairs.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1],
            text: () => bodyBytes.toString('utf8'),
          });
        });
        response.on('error', reject);
      },
    );
    request.setTimeout(10_000, () =>
      request.destroy(new Error(`no response to ${method} ${path} within 10s`)),
    );
    request.on('error', reject);
    if (body !== undefined) request.end(body);
    else request.end();
  });
}
