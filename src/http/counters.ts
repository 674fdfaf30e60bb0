// Request counters of the HTTP layer, published in /debug/vars under `http` with rqlite's names (tools
// read some of them, e.g. `http.user_snapshots`).

export type CounterName =
  | 'executions'
  | 'execute_stmts_rx'
  | 'queries'
  | 'query_stmts_rx'
  | 'requests'
  | 'request_stmts_rx'
  | 'sql_analyze'
  | 'backups'
  | 'loads'
  | 'boot'
  | 'user_snapshots'
  | 'user_reaps'
  | 'num_status'
  | 'num_readyz'
  | 'leader_not_found'
  | 'remote_executions'
  | 'remote_queries'
  | 'remote_requests'
  | 'client_errors'
  | 'internal_errors'
  | 'queued_executions_wait';

const names: readonly CounterName[] = [
  'executions',
  'execute_stmts_rx',
  'queries',
  'query_stmts_rx',
  'requests',
  'request_stmts_rx',
  'sql_analyze',
  'backups',
  'loads',
  'boot',
  'user_snapshots',
  'user_reaps',
  'num_status',
  'num_readyz',
  'leader_not_found',
  'remote_executions',
  'remote_queries',
  'remote_requests',
  'client_errors',
  'internal_errors',
  'queued_executions_wait',
];

export class Counters {
  private readonly values = new Map<CounterName, bigint>(names.map((name) => [name, 0n]));

  add(name: CounterName, amount = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0n) + BigInt(amount));
  }

  get(name: CounterName): bigint {
    return this.values.get(name) ?? 0n;
  }

  /** A plain object, which /debug/vars prints as an expvar map. */
  snapshot(): Record<string, bigint> {
    return Object.fromEntries(this.values);
  }
}
