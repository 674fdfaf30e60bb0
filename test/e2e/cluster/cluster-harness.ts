// Starts a cluster of real server processes on 127.0.0.1 the way an operator would: node 1 bootstraps
// alone, the others start with -join pointing at node 1's Raft address. Each node keeps its ports and data
// directory for the life of the cluster, so a test can kill, restart, pause and resume nodes and the same
// members come back. Every process is started, signalled and ended by its PID only.
//
// The server is dustd by default, or rqlited (DUST_E2E_SERVER=rqlited), which takes the same command line
// and answers the same API; see server-binary.ts. With `meshed`, node-to-node traffic goes through a proxy
// mesh (../faults/network.ts) so tests can partition the network; only dustd supports that.
import { rmSync } from 'node:fs';

import { ProxyMesh } from '../faults/network.js';
import { allocateNodes, type ClusterNode, type ExitStatus } from './cluster-node.js';

export { ClusterNode } from './cluster-node.js';
export type { ExitStatus } from './cluster-node.js';
import { ClusterConfigError, ClusterStartError, ClusterUsageError, NoLeaderError } from './errors.js';
import { type HttpOutcome, NodeHttpClient, jsonAt, jsonString } from './node-http.js';
import { pollUntil } from './polling.js';
import {
  type ServerKind,
  peerAddressesEnvironmentVariable,
  serverExecutable,
  serverFromEnvironment,
  serverTraits,
} from './server-binary.js';

export interface ClusterOptions {
  /** Number of nodes (default 3). */
  readonly size?: number;
  /** Extra flags given to every node, every time it starts (e.g. ['-raft-snap', '100']). */
  readonly flags?: readonly string[];
  /** The server to run; default from the DUST_E2E_SERVER environment variable, else dustd. */
  readonly server?: ServerKind;
  /** Route node-to-node traffic through a proxy mesh, so that `cluster.mesh` can cut links. */
  readonly meshed?: boolean;
  /** How long one node may take to start and join (default 30 s). */
  readonly nodeStartTimeoutMs?: number;
}

/** What one node's /status says about its place in the cluster. */
export interface NodeStatus {
  readonly nodeId: string;
  /** "Leader", "Follower", "Candidate" or "Shutdown". */
  readonly state: string;
  readonly term: number;
  /** The leader this node knows of, or "" for none. */
  readonly leaderId: string;
  /** IDs of the members in this node's configuration. */
  readonly memberIds: readonly string[];
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastSnapshotIndex: number;
}

export const clusterSizeMax = 7;
const statusTimeoutMs = 2_000;
const defaultLeaderTimeoutMs = 20_000;
const exitTimeoutMs = 15_000;

/** A read consistency level of the API. */
export type ReadLevel = 'none' | 'weak' | 'linearizable' | 'strong';

export class Cluster {
  readonly http = new NodeHttpClient();
  /** The last node `leader()` returned, for tests that want to aim at "the leader as last seen". */
  lastKnownLeader: ClusterNode | null = null;
  private cleaned = false;
  private readonly killOnExit = (): void => this.killAllNow();

  private constructor(
    readonly server: ServerKind,
    readonly nodes: readonly ClusterNode[],
    private readonly rootDir: string,
    private readonly flags: readonly string[],
    readonly mesh: ProxyMesh | null,
    private readonly nodeStartTimeoutMs: number,
  ) {
    // If the test process ends without cleanup (a runner timeout, an uncaught error), the nodes must not
    // outlive it: kill them by PID on the way out.
    process.once('exit', this.killOnExit);
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const size = options.size ?? 3;
    if (!Number.isInteger(size) || size < 1 || size > clusterSizeMax) {
      throw new ClusterConfigError(`a cluster has 1 to ${clusterSizeMax} nodes; got ${size}.`);
    }
    const server = options.server ?? serverFromEnvironment();
    if (options.meshed === true && !serverTraits[server].peerAddressOverride) {
      throw new ClusterConfigError(
        `${server} cannot dial its peers through test proxies, so it cannot run meshed; skip partition tests for it.`,
      );
    }
    const { rootDir, nodes } = await allocateNodes(size, 'dust-cluster-');
    let mesh: ProxyMesh | null = null;
    let cluster: Cluster | null = null;
    try {
      if (options.meshed === true) {
        mesh = await ProxyMesh.start(
          nodes.map((node) => ({ name: node.id, address: tcpAddress(node.raftAddress) })),
        );
      }
      cluster = new Cluster(
        server,
        nodes,
        rootDir,
        options.flags ?? [],
        mesh,
        options.nodeStartTimeoutMs ?? 30_000,
      );
      await cluster.form();
      return cluster;
    } catch (error) {
      if (cluster !== null) {
        const logs = cluster.logs(60);
        await cluster.cleanup();
        if (error instanceof Error) error.message += `\n${logs}`;
      } else {
        await mesh?.close();
        rmSync(rootDir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  /** Bootstraps node 1, then joins the others one at a time, then waits until every node agrees. */
  private async form(): Promise<void> {
    const [first, ...others] = this.nodes;
    if (first === undefined) throw new Error('a cluster has at least one node');
    this.launch(first, []);
    await this.waitFor(first, 'become leader of its new cluster', (status) => status.state === 'Leader');
    for (const node of others) {
      this.launch(node, ['-join', first.raftAddress]);
      await this.waitFor(
        node,
        `join the cluster (be listed by node ${first.id}, know a leader)`,
        (status) => status.leaderId !== '' && status.memberIds.includes(node.id),
      );
    }
    await this.waitForMembers();
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((candidate) => candidate.id === id);
    if (node === undefined)
      throw new ClusterUsageError(`no node ${id}; the nodes are ${this.ids().join(', ')}.`);
    return node;
  }

  /** Nodes whose process runs and is not paused. */
  serving(): ClusterNode[] {
    return this.nodes.filter((node) => node.serving);
  }

  /** The number of nodes that make a majority of the configured membership. */
  get quorum(): number {
    return Math.floor(this.nodes.length / 2) + 1;
  }

  /** This node's /status, or undefined when it does not answer in time or the answer lacks the fields. */
  async status(node: ClusterNode, timeoutMs = statusTimeoutMs): Promise<NodeStatus | undefined> {
    if (!node.serving) return undefined;
    const outcome = await this.http.send({
      method: 'GET',
      address: node.httpAddress,
      pathAndQuery: '/status',
      timeoutMs,
    });
    if (outcome.kind !== 'answered' || outcome.status !== 200) return undefined;
    return parseStatus(outcome.json);
  }

  /**
   * The leader: a serving node that says it leads and that a majority of the nodes (itself included)
   * name as leader. A deposed leader that has not noticed yet is therefore not returned. Polls until one
   * exists; throws NoLeaderError with what each node last said after `timeoutMs`.
   *
   * `among` limits both the candidates and the voters to some nodes, e.g. the majority side of a partition,
   * whose members keep naming the old leader until they elect a new one.
   */
  async leader(
    options: { readonly timeoutMs?: number; readonly among?: readonly ClusterNode[] } = {},
  ): Promise<ClusterNode> {
    const among = options.among ?? this.nodes;
    let lastSeen = new Map<string, NodeStatus | undefined>();
    const leader = await pollUntil(
      async () => {
        lastSeen = await this.statuses(among);
        const votes = new Map<string, number>();
        for (const status of lastSeen.values()) {
          if (status !== undefined && status.leaderId !== '') {
            votes.set(status.leaderId, (votes.get(status.leaderId) ?? 0) + 1);
          }
        }
        let chosen: { node: ClusterNode; term: number } | undefined;
        for (const node of among) {
          const status = lastSeen.get(node.id);
          if (status?.state !== 'Leader' || (votes.get(node.id) ?? 0) < this.quorum) continue;
          if (chosen === undefined || status.term > chosen.term) chosen = { node, term: status.term };
        }
        return chosen?.node;
      },
      {
        timeoutMs: options.timeoutMs ?? defaultLeaderTimeoutMs,
        onTimeout: () =>
          new NoLeaderError(
            `no node was named leader by a majority (${this.quorum} of ${this.nodes.length}) within ` +
              `${options.timeoutMs ?? defaultLeaderTimeoutMs} ms; last seen: ${describeStatuses(lastSeen)}`,
          ),
      },
    );
    this.lastKnownLeader = leader;
    return leader;
  }

  /** The serving nodes other than the leader. */
  async followers(options: { readonly timeoutMs?: number } = {}): Promise<ClusterNode[]> {
    const leader = await this.leader(options);
    return this.serving().filter((node) => node !== leader);
  }

  /** The /status of every node (or of `nodes`) at once: undefined for nodes that are down, paused or silent. */
  async statuses(nodes: readonly ClusterNode[] = this.nodes): Promise<Map<string, NodeStatus | undefined>> {
    const entries = await Promise.all(nodes.map(async (node) => [node.id, await this.status(node)] as const));
    return new Map(entries);
  }

  /**
   * Waits until every serving node lists all members and names the same leader, and that leader says it
   * leads. Used after start and after restarts.
   */
  async waitForMembers(timeoutMs = this.nodeStartTimeoutMs): Promise<void> {
    let lastSeen = new Map<string, NodeStatus | undefined>();
    await pollUntil(
      async () => {
        lastSeen = await this.statuses();
        const serving = this.serving();
        const seen = serving.map((node) => lastSeen.get(node.id));
        const leaderId = seen[0]?.leaderId ?? '';
        const agreed =
          leaderId !== '' &&
          seen.every(
            (status) =>
              status !== undefined &&
              status.leaderId === leaderId &&
              this.nodes.every((member) => status.memberIds.includes(member.id)),
          ) &&
          lastSeen.get(leaderId)?.state === 'Leader';
        return agreed ? true : undefined;
      },
      {
        timeoutMs,
        onTimeout: () =>
          new ClusterStartError(
            `the serving nodes did not agree on all ${this.nodes.length} members and one leader within ` +
              `${timeoutMs} ms; last seen: ${describeStatuses(lastSeen)}`,
          ),
      },
    );
  }

  /** Sends `signal` (SIGKILL by default) to the node's process and waits for it to exit. */
  async kill(node: ClusterNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> {
    node.signal(signal);
    // A stopped process acts on no signal but SIGKILL until it is resumed.
    if (node.paused && signal !== 'SIGKILL') node.signal('SIGCONT');
    return node.waitForExit(exitTimeoutMs);
  }

  /**
   * Starts a node again with the same flags, ports and data directory. It comes back from its own state,
   * so no -join is given. By default waits until it is back in the cluster with a leader; pass
   * `waitForCluster: false` when the cluster cannot have a leader yet (no majority running).
   */
  async restart(node: ClusterNode, options: { readonly waitForCluster?: boolean } = {}): Promise<void> {
    this.launch(node, []);
    if (options.waitForCluster === false) {
      await this.waitFor(node, 'answer /status after a restart', () => true);
    } else {
      await this.waitFor(
        node,
        'rejoin the cluster after a restart (know a leader and every member)',
        (status) =>
          status.leaderId !== '' && this.nodes.every((member) => status.memberIds.includes(member.id)),
      );
    }
  }

  /** Freezes the node's process (SIGSTOP): it keeps its sockets but answers nothing. */
  stop(node: ClusterNode): void {
    if (node.paused) throw new ClusterUsageError(`node ${node.id} is already paused.`);
    node.signal('SIGSTOP');
    node.paused = true;
  }

  /** Resumes a node paused with `stop` (SIGCONT). */
  cont(node: ClusterNode): void {
    if (!node.paused) throw new ClusterUsageError(`node ${node.id} is not paused.`);
    node.signal('SIGCONT');
    node.paused = false;
  }

  /** POSTs statements to /db/execute on `node`; `query` is the query string without "?" (e.g. "redirect"). */
  execute(
    node: ClusterNode,
    statements: readonly unknown[],
    options: { readonly query?: string; readonly timeoutMs?: number } = {},
  ): Promise<HttpOutcome> {
    return this.http.send({
      method: 'POST',
      address: node.httpAddress,
      pathAndQuery: '/db/execute' + (options.query === undefined ? '' : `?${options.query}`),
      body: statements,
      timeoutMs: options.timeoutMs ?? 10_000,
    });
  }

  /** POSTs one parameterised query to /db/query on `node` with the given consistency level. */
  query(
    node: ClusterNode,
    sql: string,
    parameters: readonly unknown[],
    options: { readonly level: ReadLevel; readonly timeoutMs?: number; readonly query?: string },
  ): Promise<HttpOutcome> {
    const extra = options.query === undefined ? '' : `&${options.query}`;
    return this.http.send({
      method: 'POST',
      address: node.httpAddress,
      pathAndQuery: `/db/query?level=${options.level}${extra}`,
      body: [[sql, ...parameters]],
      timeoutMs: options.timeoutMs ?? 10_000,
    });
  }

  /** GETs any path from `node`. */
  get(node: ClusterNode, pathAndQuery: string, timeoutMs = 10_000): Promise<HttpOutcome> {
    return this.http.send({ method: 'GET', address: node.httpAddress, pathAndQuery, timeoutMs });
  }

  /** Runs `body`; when it fails, adds the nodes' last log lines to the error, where the reason usually is. */
  async explainFailures<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof Error) error.message += `\n${this.logs(40)}`;
      throw error;
    }
  }

  /** The last lines of every node's output, for failure messages. */
  logs(linesPerNode = 40): string {
    return this.nodes
      .map(
        (node) =>
          `----- node ${node.id} (last ${linesPerNode} lines) -----\n${node.outputTail(linesPerNode)}`,
      )
      .join('\n');
  }

  /** Closes the mesh, kills every process this cluster started (by PID) and removes the data directories. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    // The mesh goes first: closing it resets every proxied connection at once, whereas killing the nodes
    // first makes the proxies pass on a FIN and then a reset for the same socket (see closeMeshBounded).
    if (this.mesh !== null) await closeMeshBounded(this.mesh);
    this.killAllNow();
    await Promise.all(
      this.nodes
        .filter((node) => node.exitStatus() === null)
        .map((node) => node.waitForExit(exitTimeoutMs).catch(() => undefined)),
    );
    this.http.close();
    process.removeListener('exit', this.killOnExit);
    rmSync(this.rootDir, { recursive: true, force: true });
  }

  private killAllNow(): void {
    for (const node of this.nodes) {
      if (!node.running) continue;
      try {
        node.signal('SIGKILL');
      } catch {
        // It exited between the check and the signal.
      }
    }
  }

  private ids(): string[] {
    return this.nodes.map((node) => node.id);
  }

  private launch(node: ClusterNode, extraFlags: readonly string[]): void {
    const environment: NodeJS.ProcessEnv = { ...process.env };
    delete environment[peerAddressesEnvironmentVariable];
    if (this.mesh !== null) {
      const mesh = this.mesh;
      environment[peerAddressesEnvironmentVariable] = [...mesh.peerAddressesSeenBy(node.id)]
        .map(([peer, address]) => `${peer}=${address.host}:${address.port}`)
        .join(',');
    }
    node.launch(
      serverExecutable(this.server),
      [
        '-node-id',
        node.id,
        '-http-addr',
        node.httpAddress,
        '-raft-addr',
        node.raftAddress,
        ...this.flags,
        ...extraFlags,
        node.dataDir,
      ],
      environment,
    );
  }

  /** Polls the node's /status until `condition` holds; fails early if the process exits. */
  private async waitFor(
    node: ClusterNode,
    what: string,
    condition: (status: NodeStatus) => boolean,
  ): Promise<void> {
    let last: NodeStatus | undefined;
    await pollUntil(
      async () => {
        const exit = node.exitStatus();
        if (exit !== null) {
          throw new ClusterStartError(
            `node ${node.id} exited (code ${String(exit.code)}, signal ${String(exit.signal)}) ` +
              `while waiting for it to ${what}.`,
          );
        }
        last = await this.status(node);
        return last !== undefined && condition(last) ? true : undefined;
      },
      {
        timeoutMs: this.nodeStartTimeoutMs,
        onTimeout: () =>
          new ClusterStartError(
            `node ${node.id} did not ${what} within ${this.nodeStartTimeoutMs} ms; its last status: ` +
              `${last === undefined ? 'none' : JSON.stringify(last)}`,
          ),
      },
    );
  }
}

/**
 * Runs `body` with a started cluster and always cleans up. When `body` fails, the nodes' last log lines
 * are added to the error, because that is usually where the reason is.
 */
export async function withCluster<T>(
  options: ClusterOptions,
  body: (cluster: Cluster) => Promise<T>,
): Promise<T> {
  const cluster = await Cluster.start(options);
  try {
    return await cluster.explainFailures(() => body(cluster));
  } finally {
    await cluster.cleanup();
  }
}

/** How long closing the proxy mesh may take before cleanup goes on without it. */
const meshCloseTimeoutMs = 5_000;

/**
 * Closes the mesh, but waits at most `meshCloseTimeoutMs`. A proxied connection that forwards a FIN and
 * then, at once, a reset to the same socket can fail to reset it (EINVAL: its shutdown is still pending),
 * and that socket then never reports being closed, so the mesh's close never settles. The nodes are gone
 * by then, so the leftover is one socket in this test process; a warning names it instead of a hang.
 */
async function closeMeshBounded(mesh: ProxyMesh): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), meshCloseTimeoutMs);
  });
  const closed = await Promise.race([mesh.close().then(() => false), timedOut]);
  clearTimeout(timer);
  if (closed) {
    process.emitWarning(
      `the proxy mesh did not finish closing within ${meshCloseTimeoutMs} ms: a proxied socket never reported ` +
        `its close (a reset right after a FIN); cleanup went on without it`,
      { code: 'DUST_E2E_MESH_CLOSE' },
    );
  }
}

function tcpAddress(hostPort: string): { host: string; port: number } {
  const separator = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, separator), port: Number(hostPort.slice(separator + 1)) };
}

function parseStatus(json: unknown): NodeStatus | undefined {
  const state = jsonString(json, 'store', 'raft', 'state');
  const nodeId = jsonString(json, 'store', 'node_id');
  const members = jsonAt(json, 'store', 'nodes');
  if (state === undefined || nodeId === undefined || !Array.isArray(members)) return undefined;
  return {
    nodeId,
    state,
    term: numberOrZero(jsonAt(json, 'store', 'raft', 'term')),
    leaderId: jsonString(json, 'store', 'leader', 'node_id') ?? '',
    memberIds: members.map((member) => jsonString(member, 'id') ?? '').filter((id) => id !== ''),
    commitIndex: numberOrZero(jsonAt(json, 'store', 'raft', 'commit_index')),
    appliedIndex: numberOrZero(jsonAt(json, 'store', 'raft', 'applied_index')),
    lastSnapshotIndex: numberOrZero(jsonAt(json, 'store', 'raft', 'last_snapshot_index')),
  };
}

/** Raft counters may arrive as JSON numbers or as decimal strings; both are read the same. */
function numberOrZero(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}

function describeStatuses(statuses: ReadonlyMap<string, NodeStatus | undefined>): string {
  return [...statuses]
    .map(([id, status]) =>
      status === undefined
        ? `node ${id}: no answer`
        : `node ${id}: ${status.state} term ${status.term}, leader "${status.leaderId}", members [${status.memberIds.join(',')}], commit ${status.commitIndex}, applied ${status.appliedIndex}`,
    )
    .join('; ');
}
