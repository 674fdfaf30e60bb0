// What /status, /nodes, /leader, /readyz and /debug/vars report about this node, with rqlite's key names
// and value types so that tools written for rqlite read them unchanged.
import { formatGoDurationMs } from '../http/duration.js';
import {
  type ClusterMember,
  type JsonValue,
  type MemberProbe,
  type ProbeOptions,
  type StatusProvider,
  StoreNotOpenError,
} from '../http/store.js';
import { clusterMethods, type NodeMeta } from '../cluster/service.js';
import type { DustNode } from './node.js';

const roleNames = {
  leader: 'Leader',
  follower: 'Follower',
  candidate: 'Candidate',
  preCandidate: 'Candidate',
};

export class NodeStatus implements StatusProvider {
  constructor(
    private readonly node: () => DustNode | undefined,
    private readonly version: string,
    /** The cluster service's request counters, for /debug/vars. */
    private readonly clusterCounters: () => Readonly<Record<string, number>> = () => ({}),
  ) {}

  status(): Promise<Readonly<Record<string, JsonValue>>> {
    const node = this.node();
    if (node === undefined) return Promise.resolve({ store: { open: false, ready: false } });
    const config = node.config;
    const raft = node.raw.status();
    const log = node.log.stats();
    const sqlite = node.database.status();
    const snapshot = node.lastSnapshot;
    const leader =
      raft.leaderId === ''
        ? { addr: '', node_id: '' }
        : { addr: this.addressOf(raft.leaderId), node_id: raft.leaderId };
    const store: Record<string, JsonValue> = {
      open: true,
      ready: node.isReady(),
      node_id: config.nodeId,
      addr: node.self.raftAddress,
      leader,
      dir: config.dataDir,
      apply_timeout: formatGoDurationMs(config.applyTimeoutMs),
      election_timeout: formatGoDurationMs(config.raftTiming.electionTimeoutMs),
      heartbeat_timeout: formatGoDurationMs(config.raftTiming.heartbeatTimeoutMs),
      snapshot_threshold: config.snapshotThresholdEntries,
      snapshot_interval: formatGoDurationMs(config.snapshotIntervalMs),
      trailing_logs: config.trailingLogEntries,
      fsm_index: node.loop.applied,
      fsm_term: node.raw.termAt(node.loop.applied) ?? 0,
      db_applied_index: node.loop.applied,
      db_conf: { fk_constraints: config.foreignKeys },
      nodes: [
        ...raft.configuration.voters.map((id) => ({ id, addr: this.addressOf(id), suffrage: 'Voter' })),
        ...raft.configuration.learners.map((id) => ({ id, addr: this.addressOf(id), suffrage: 'Nonvoter' })),
      ],
      raft: {
        state: roleNames[raft.role],
        term: raft.term,
        commit_index: raft.commit,
        applied_index: raft.applied,
        fsm_pending: Math.max(0, raft.commit - raft.applied),
        last_log_index: raft.lastIndex,
        last_log_term: node.raw.termAt(raft.lastIndex) ?? 0,
        last_snapshot_index: snapshot.index,
        last_snapshot_term: snapshot.term,
        num_peers: raft.configuration.voters.length + raft.configuration.learners.length - 1,
        last_contact: this.lastContact(node),
        // hashicorp/raft's rendering of a configuration, which rqlite prints here.
        latest_configuration: `[${[
          ...raft.configuration.voters.map((id) => `{Suffrage:Voter ID:${id} Address:${this.addressOf(id)}}`),
          ...raft.configuration.learners.map(
            (id) => `{Suffrage:Nonvoter ID:${id} Address:${this.addressOf(id)}}`,
          ),
        ].join(' ')}]`,
        voter: raft.configuration.voters.includes(config.nodeId),
        log_size: log.bytes,
        log_segments: log.segments,
      },
      snapshot_store: {
        dir: `${config.dataDir}/raft/snapshots`,
        snapshots: node.snapshots
          .list()
          .filter((stored) => stored.meta.index > 0)
          .map((stored) => ({
            id: `${stored.meta.term}-${stored.meta.index}`,
            index: stored.meta.index,
            term: stored.meta.term,
            size: stored.dataBytes,
          })),
      },
      sqlite3: {
        path: sqlite.path,
        size: sqlite.sizeBytes,
        db_size: sqlite.sizeBytes,
        wal_size: sqlite.walSizeBytes,
        version: sqlite.version,
        compile_options: [...sqlite.compileOptions],
        pragmas: { rw: { ...sqlite.pragmas.rw }, ro: { ...sqlite.pragmas.ro } },
        mode: sqlite.mode,
        conn_pool_stats: { ...node.reads.stats() },
      },
    };
    const cluster = {
      addr: node.self.raftAddress,
      api_addr: node.self.apiUrl.replace(/^https?:\/\//, ''),
      https: 'false',
    };
    return Promise.resolve({ store, cluster });
  }

  /** As rqlite: 0 on the leader, the time since the leader was last heard from elsewhere, or "never". */
  private lastContact(node: DustNode): JsonValue {
    const ageMs = node.leaderContactAgeMs();
    if (ageMs === 0) return 0;
    if (!Number.isFinite(ageMs)) return 'never';
    return formatGoDurationMs(ageMs);
  }

  debugVars(): Readonly<Record<string, JsonValue>> {
    const node = this.node();
    if (node === undefined) return {};
    const log = node.log.stats();
    return {
      cluster: { ...this.clusterCounters() },
      store: {
        num_snapshots: node.counters.snapshots,
        num_snapshots_failed: node.counters.snapshotsFailed,
        num_restores: node.counters.restores,
        num_applied_commands: node.counters.appliedCommands,
        num_failed_commands: node.counters.failedCommands,
      },
      log: {
        writes: log.writes,
        bytes_written: log.bytesWritten,
        file_syncs: log.fileSyncs,
        segments_created: log.segmentsCreated,
        segments_deleted: log.segmentsDeleted,
      },
    };
  }

  members(): Promise<readonly ClusterMember[]> {
    const node = this.requireNode();
    const configuration = node.raw.status().configuration;
    return Promise.resolve([
      ...configuration.voters.map((id) => ({ id, address: this.addressOf(id), voter: true })),
      ...configuration.learners.map((id) => ({ id, address: this.addressOf(id), voter: false })),
    ]);
  }

  async leader(): Promise<ClusterMember | undefined> {
    const node = this.requireNode();
    const leaderId = node.loop.softState().leaderId;
    if (leaderId === '') return undefined;
    return (await this.members()).find((member) => member.id === leaderId);
  }

  async probe(member: ClusterMember, options: ProbeOptions): Promise<MemberProbe> {
    const node = this.requireNode();
    if (member.id === node.config.nodeId) {
      return { reachable: true, apiUrl: node.self.apiUrl, version: this.version };
    }
    const addresses = node.addressesOf(member.id);
    const address = node.dialAddressOf(member.id);
    if (addresses === undefined || address === undefined) {
      return { reachable: false, error: `no address known for node ${member.id}` };
    }
    let lastError = '';
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      try {
        const meta = (await node.network.rpcClient.call(address, clusterMethods.meta, null, {
          timeoutMs: Math.max(1, options.timeoutMs),
          signal: options.signal,
        })) as Partial<NodeMeta> | null;
        return {
          reachable: true,
          apiUrl: typeof meta?.apiUrl === 'string' ? meta.apiUrl : addresses.apiUrl,
          version: typeof meta?.version === 'string' ? meta.version : '',
        };
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
    }
    return { reachable: false, error: lastError };
  }

  isReady(): boolean {
    return this.node()?.isReady() ?? false;
  }

  async waitForCommitted(options: { readonly timeoutMs: number }): Promise<void> {
    const node = this.requireNode();
    await node.loop.waitApplied(node.raw.status().commit, options.timeoutMs);
  }

  private requireNode(): DustNode {
    const node = this.node();
    if (node === undefined) throw new StoreNotOpenError();
    return node;
  }

  /** The advertised Raft address of a member, or its id when none is known. */
  private addressOf(id: string): string {
    return this.node()?.addressesOf(id)?.raftAddress ?? id;
  }
}
