// Requests the cluster service has received, by method, published in /debug/vars under `cluster` with
// rqlite's names where rqlite has the same request (tools and dashboards read them).

// Keyed by the method names of service.ts (not imported from it: it imports this file).
const counterNames: Readonly<Record<string, string>> = {
  'cluster.meta': 'num_get_node_api_req',
  'cluster.members': 'num_members_req',
  'cluster.join': 'num_join_req',
  'cluster.notify': 'num_notify_req',
  'cluster.removed': 'num_removed_req',
  'cluster.execute': 'num_execute_req',
  'cluster.query': 'num_query_req',
  'cluster.request': 'num_request_req',
  'cluster.remove': 'num_remove_node_req',
  'cluster.load': 'num_load_req',
  'cluster.stepdown': 'num_stepdown_req',
};

export class ClusterServiceCounters {
  private readonly counts = new Map<string, number>(Object.values(counterNames).map((name) => [name, 0]));

  /** Counts one request for `method`; methods without a published name are not counted. */
  received(method: string): void {
    const name = counterNames[method];
    if (name !== undefined) this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  toJson(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
