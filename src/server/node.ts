// One dustd node: the durable log, the snapshot store, the SQLite state machine and the consensus loop,
// opened in order, wired together, and closed in the reverse order. A node alone is a one-voter cluster
// on the same code path a cluster uses: it elects itself and commits each entry once it is durable.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import {
  decodeMemberContext,
  encodeMemberContext,
  type MemberAddresses,
  MemberDirectory,
  type MemberTable,
} from '../cluster/members.js';
import { clusterMethods } from '../cluster/service.js';
import { decodeCommand } from '../command/codec.js';
import type { Command } from '../command/types.js';
import { DurableLog, type LogWarningSink, SnapshotStore, type StoredSnapshot } from '../log/index.js';
import { decodeConfState, DiskRaftStorage } from '../log/raft-storage.js';
import {
  type ConfChange,
  type ConfState,
  decodeConfChangeEntry,
  type Entry,
  type InstallSnapshotRequest,
  RawNode,
  SeededRandom,
  type SnapshotMetadata,
} from '../raft/index.js';
import { snapshotToFile } from '../sqlite/backup-copy.js';
import { CommandFailedError, ReadPool, SqliteDatabase } from '../sqlite/index.js';
import { formatHostPort, type NodeConfig } from './config.js';
import { DataDirectoryLock } from './data-dir-lock.js';
import type { Logger } from './logger.js';
import { PeerNetwork } from './peer-network.js';
import { ProposalRefusedError, RaftLoop } from './raft-loop.js';
import { describeSnapshot, membersOfSnapshot } from './snapshot-metadata.js';
import { recoverFromPeersFile } from './peers-recovery.js';

/** A log or snapshot that cannot be used to start the node; the message says which and where. */
export class NodeStartError extends Error {
  override readonly name = 'NodeStartError';
}

/** How long the leader tries to tell a removed node of its removal. */
const removalNoticeMs = 2_000;
/** How long a membership change waits for an earlier one to commit before it fails. */
const membershipRetryMs = 10_000;

/** Where database copies on their way into or out of a snapshot are written (emptied at every start). */
const snapshotWorkDirectoryName = 'snapshot-work';

/** The node refused to boot from an image; the message says why and what to do. */
export class BootRefusedError extends Error {
  override readonly name = 'BootRefusedError';
  constructor(
    readonly reason: 'not_single_node' | 'not_ready' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

/** A membership request that cannot be carried out as asked; the message says why. */
export class MembershipError extends Error {
  override readonly name = 'MembershipError';
}

/** Counters reported in /debug/vars. */
export interface NodeCounters {
  snapshots: number;
  snapshotsFailed: number;
  restores: number;
  appliedCommands: number;
  failedCommands: number;
}

export class DustNode {
  readonly counters: NodeCounters = {
    snapshots: 0,
    snapshotsFailed: 0,
    restores: 0,
    appliedCommands: 0,
    failedCommands: 0,
  };
  /** The commit index found at start: the node is ready once it has applied that far. */
  private readonly commitAtOpen: number;
  private latestSnapshot: SnapshotMetadata;
  /**
   * The index of the last entry applied to the database, updated inside the apply itself. A snapshot
   * reads it at the exact state it copies; the loop's own applied index is updated a moment later.
   */
  private databaseIndex: number;
  private snapshotting = false;
  /** The leader said this node is no longer a member (see learnRemoved). */
  private removed = false;
  /** Called once when this node learns it was removed from the cluster (-raft-remove-shutdown). */
  onRemoved: (() => void) | undefined;
  /** A snapshot sent by the leader is being installed. */
  private installing = false;
  /** The snapshot being taken, settled (never rejected) when it is done. */
  private snapshotInFlight: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** When this node last heard from the leader it follows (for `freshness` on `none` reads). */
  private leaderContactMs = 0;
  /** When a Raft message last came from each peer (Date.now()), for reaping unreachable members. */
  private readonly peerContactMs = new Map<string, number>();

  private constructor(
    readonly config: NodeConfig,
    private readonly logger: Logger,
    private readonly lock: DataDirectoryLock,
    readonly log: DurableLog,
    readonly snapshots: SnapshotStore,
    readonly database: SqliteDatabase,
    readonly reads: ReadPool,
    private readonly storage: DiskRaftStorage,
    readonly raw: RawNode,
    readonly loop: RaftLoop,
    readonly network: PeerNetwork,
    readonly members: MemberDirectory,
    /** This node's own addresses, as it tells its peers. */
    readonly self: MemberAddresses,
    /** The node is a member of no cluster yet (it started empty, or an earlier join failed). */
    readonly startedEmpty: boolean,
  ) {
    this.commitAtOpen = log.hardState().commit;
    this.latestSnapshot = storage.snapshot();
    this.databaseIndex = this.latestSnapshot.index;
  }

  /**
   * Opens the node. A node with no state starts a new cluster of which it is the only voter, unless it
   * is `joining` one: then it starts with no configuration and waits for a leader to add it.
   */
  static async open(
    config: NodeConfig,
    logger: Logger,
    options: { readonly joining: boolean; readonly dialOverrides: ReadonlyMap<string, string> },
  ): Promise<DustNode> {
    fs.mkdirSync(path.join(config.dataDir, 'raft'), { recursive: true });
    const lock = DataDirectoryLock.acquire(config.dataDir);
    const warnings: LogWarningSink = { warn: (message) => logger.warn(message) };
    // The hooks of the network and the loop need the node, and the node needs both: the holder breaks
    // the cycle. The loop starts last, so its hooks always find the node; the network's may not.
    const holder: { node?: DustNode } = {};
    const node = (): DustNode => holder.node as DustNode;
    let network: PeerNetwork | undefined;
    try {
      network = await PeerNetwork.open({
        nodeId: config.nodeId,
        bindAddress: formatHostPort(config.raftAddr),
        logger: logger.child('cluster'),
        dialOverrides: options.dialOverrides,
        // Peers may dial in while the log is still being replayed: until the node exists, their messages
        // are dropped (Raft resends what is lost) and a snapshot they offer is refused.
        hooks: {
          step: (message) => holder.node?.onPeerMessage(message),
          unreachable: (id) => holder.node?.loop.notify((raw) => raw.reportUnreachable(id)),
          snapshotSent: (to, report) => holder.node?.loop.notify((raw) => raw.reportSnapshot(to, report)),
          storeSnapshot: (message, members, image) =>
            holder.node === undefined
              ? Promise.reject(new Error('this node is still starting; offer the snapshot again later'))
              : holder.node.storeSnapshot(message, members, image),
          snapshotToSend: (index) => holder.node?.snapshotToSend(index),
        },
      });
      const bound = network.boundAddress();
      const self: MemberAddresses = {
        raftAddress:
          config.raftAdvertisedAddr.port === 0
            ? formatHostPort({ host: config.raftAdvertisedAddr.host, port: Number(bound.split(':').pop()) })
            : formatHostPort(config.raftAdvertisedAddr),
        apiUrl: `http://${formatHostPort(config.httpAdvertisedAddr)}`,
      };
      const openedNetwork = network;
      const members = MemberDirectory.open(
        path.join(config.dataDir, 'raft', 'members.json'),
        (id, addresses) => {
          if (id !== config.nodeId) openedNetwork.setPeer(id, addresses);
        },
      );
      const log = await DustNode.openLog(config, warnings);
      const snapshots = await SnapshotStore.open(path.join(config.dataDir, 'raft', 'snapshots'), {
        warnings,
      });
      await recoverFromPeersFile({
        raftDirectory: path.join(config.dataDir, 'raft'),
        log,
        snapshots,
        members,
        foreignKeys: config.foreignKeys,
        logger,
      });
      const latest = await DustNode.latestSnapshot(config, log, snapshots, logger, {
        self,
        founder: !options.joining,
      });
      // A node that never became a member (a new one, or one whose join failed before) has no
      // configuration and no log: it still has to join.
      const startConf = latest.metadata.confState;
      const startedEmpty =
        startConf.voters.length === 0 && startConf.learners.length === 0 && log.lastIndex() === 0;
      const database = await DustNode.openDatabase(config, latest.stored, logger);
      const reads = new ReadPool(database);
      const storage = new DiskRaftStorage(log, latest.metadata);
      const raw = new RawNode(
        {
          id: config.nodeId,
          random: new SeededRandom(randomInt(2 ** 47)),
          electionTimeoutTicks: config.raftTiming.electionTimeoutTicks,
          heartbeatIntervalTicks: config.raftTiming.heartbeatIntervalTicks,
          appliedIndex: latest.metadata.index,
        },
        storage,
      );
      const loop = new RaftLoop(raw, log, storage, (entries, proposed) => node().apply(entries, proposed), {
        tickIntervalMs: config.raftTiming.tickIntervalMs,
        applyTimeoutMs: config.applyTimeoutMs,
        logger: logger.child('raft'),
        send: (messages) => openedNetwork.send(messages),
        onAppend: (entries) => node().learnFromEntries(entries),
        installSnapshot: (metadata) => node().installSnapshot(metadata),
      });
      holder.node = new DustNode(
        config,
        logger,
        lock,
        log,
        snapshots,
        database,
        reads,
        storage,
        raw,
        loop,
        openedNetwork,
        members,
        self,
        startedEmpty,
      );
      // Addresses: this node's own, those in the snapshot, those in the log after it (the newest wins).
      members.learn(config.nodeId, self);
      members.learnAll(latest.members);
      for (const [id, addresses] of members.entries())
        if (id !== config.nodeId) openedNetwork.setPeer(id, addresses);
      holder.node.learnFromEntries(
        storage.entries(log.firstIndex(), log.lastIndex() + 1, Number.POSITIVE_INFINITY),
      );
      loop.start();
      const voters = raw.status().configuration.voters;
      if (voters.length === 1 && voters[0] === config.nodeId) loop.campaign();
      return holder.node;
    } catch (error) {
      await network?.close();
      lock.release();
      throw error;
    }
  }

  /** Milliseconds since this node last heard from its leader; 0 on the leader itself. */
  leaderContactAgeMs(): number {
    const soft = this.loop.softState();
    if (soft.role === 'leader') return 0;
    if (soft.leaderId === '' || this.leaderContactMs === 0) return Number.POSITIVE_INFINITY;
    return Date.now() - this.leaderContactMs;
  }

  /** When this node last received a Raft message from `id` (Date.now() milliseconds), or undefined. */
  lastHeardFromMs(id: string): number | undefined {
    return this.peerContactMs.get(id);
  }

  /** The voters and read replicas of the configuration this node holds now. */
  membersNow(): { readonly voters: readonly string[]; readonly nonVoters: readonly string[] } {
    const configuration = this.raw.status().configuration;
    return { voters: configuration.voters, nonVoters: configuration.learners };
  }

  /** The addresses of member `id` as this node knows them. */
  addressesOf(id: string): MemberAddresses | undefined {
    return this.members.get(id);
  }

  /** Where this node calls member `id`: its advertised Raft address, or a test's override. */
  dialAddressOf(id: string): string | undefined {
    const addresses = this.members.get(id);
    return addresses === undefined ? undefined : this.network.dialAddress(id, addresses);
  }

  /**
   * Adds a node to the configuration (the leader only), or updates its addresses: a node that rejoins
   * from a new address is removed and added again. Idempotent for a member with the same addresses.
   */
  async addMember(id: string, addresses: MemberAddresses, voter: boolean): Promise<void> {
    const configuration = this.raw.status().configuration;
    const known = this.members.get(id);
    const isMember = configuration.voters.includes(id) || configuration.learners.includes(id);
    const sameAddresses = known?.raftAddress === addresses.raftAddress && known.apiUrl === addresses.apiUrl;
    const sameRole = voter ? configuration.voters.includes(id) : configuration.learners.includes(id);
    if (isMember && sameAddresses && sameRole) return;
    // Another member at the same Raft address is a previous incarnation of this node under another id.
    const other = this.members.idAt(addresses.raftAddress);
    if (other !== undefined && other !== id && this.isMemberNow(other)) {
      await this.changeMembership({ kind: 'removeNode', node: other });
    }
    if (isMember && !sameAddresses && id !== this.config.nodeId) {
      await this.changeMembership({ kind: 'removeNode', node: id });
    }
    await this.changeMembership({
      kind: voter ? 'addVoter' : 'addLearner',
      node: id,
      context: encodeMemberContext(addresses),
    });
  }

  /**
   * Hands leadership to `targetId`, or to the voter whose log is most up to date, and with `wait` waits
   * until another node leads. The core abandons a transfer that takes longer than an election timeout.
   */
  async stepdown(targetId: string | undefined, wait: boolean, timeoutMs: number): Promise<void> {
    const status = this.raw.status();
    if (status.role !== 'leader') throw new MembershipError('this node is not the leader');
    let target = targetId;
    if (target === undefined) {
      let best = -1;
      for (const [id, progress] of status.progress) {
        if (id === this.config.nodeId || progress.isLearner || !status.configuration.voters.includes(id))
          continue;
        if (progress.match > best) [target, best] = [id, progress.match];
      }
    }
    if (target === undefined) throw new MembershipError('there is no other voter to hand leadership to');
    if (!status.configuration.voters.includes(target) || target === this.config.nodeId) {
      throw new MembershipError(`node ${target} is not another voter of this cluster`);
    }
    this.loop.transferLeadership(target);
    if (!wait) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const soft = this.loop.softState();
      if (soft.role !== 'leader' && soft.leaderId !== '') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new MembershipError(`leadership was not handed to ${target} within ${timeoutMs} ms`);
  }

  /**
   * Removes a node from the configuration (the leader only), then tells that node: the core stops
   * replicating to it as soon as the change is appended, so it would never learn it from the log.
   */
  async removeMember(id: string): Promise<void> {
    if (!this.isMemberNow(id)) throw new MembershipError(`node ${id} is not a member of the cluster`);
    const address = id === this.config.nodeId ? undefined : this.dialAddressOf(id);
    await this.changeMembership({ kind: 'removeNode', node: id });
    if (address === undefined) return;
    // Best effort: a node that is down learns nothing, and is no longer a member all the same.
    this.network.rpcClient
      .call(
        address,
        clusterMethods.removed,
        { id, leaderId: this.config.nodeId },
        { timeoutMs: removalNoticeMs },
      )
      .catch((error: unknown) =>
        this.logger.info(
          `node ${id} was not told of its removal: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }

  /** Whether the leader said this node was removed from the cluster. */
  get isRemoved(): boolean {
    return this.removed;
  }

  /**
   * This node's leader says it removed this node. A notice from another node than the leader this node
   * follows is ignored (an old leader's late message); with no leader known, it is believed.
   */
  learnRemoved(leaderId: string): void {
    const known = this.loop.softState().leaderId;
    if (known !== '' && known !== leaderId) {
      this.logger.warn(
        `ignored a removal notice from ${leaderId}, which is not this node's leader (${known})`,
      );
      return;
    }
    if (this.removed) return;
    this.removed = true;
    this.logger.warn(`this node was removed from the cluster by its leader ${leaderId}`);
    this.onRemoved?.();
  }

  private isMemberNow(id: string): boolean {
    const { voters, nonVoters } = this.membersNow();
    return voters.includes(id) || nonVoters.includes(id);
  }

  /**
   * Proposes one membership change and waits until it is applied. Changes go one at a time: while an
   * earlier one is still uncommitted (another node joining at the same moment) the core refuses the
   * next, which is retried here for a bounded time rather than failing the join.
   */
  private async changeMembership(change: ConfChange): Promise<void> {
    const deadline = Date.now() + membershipRetryMs;
    for (;;) {
      try {
        await this.loop.proposeConfChange(change);
        break;
      } catch (error) {
        if (!(error instanceof ProposalRefusedError) || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    this.logger.info(`membership change committed: ${change.kind} ${change.node}`);
  }

  /** A Raft message from a peer. Contact with the leader is noted for `freshness`, with any peer for reaping. */
  private onPeerMessage(message: Parameters<RaftLoop['step']>[0]): void {
    const now = Date.now();
    this.peerContactMs.set(message.from, now);
    if (message.from === this.loop.softState().leaderId) this.leaderContactMs = now;
    this.loop.step(message);
  }

  /** Member addresses carried by configuration entries, learned as soon as the entries reach the log. */
  private learnFromEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.type !== 'confChange') continue;
      const { change } = decodeConfChangeEntry(entry.data);
      const addresses = decodeMemberContext(change.context);
      if (addresses !== undefined) this.members.learn(change.node, addresses);
    }
  }

  /** Stores a snapshot streamed by the leader; the core decides afterwards whether to install it. */
  private async storeSnapshot(
    message: InstallSnapshotRequest,
    members: ReadonlyMap<string, MemberAddresses>,
    image: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const { snapshot } = message;
    await this.snapshots.save(
      {
        index: snapshot.index,
        term: snapshot.term,
        metadata: describeSnapshot(snapshot.confState, Object.fromEntries(members)),
      },
      image,
    );
    this.members.learnAll(members);
    this.logger.info(`stored the snapshot at index ${snapshot.index} sent by ${message.from}`);
  }

  private snapshotToSend(index: number): { stored: StoredSnapshot; members: MemberTable } | undefined {
    const stored = this.snapshots.latest();
    if (stored === undefined || stored.meta.index !== index) return undefined;
    return { stored, members: this.members.toTable() };
  }

  /** Replaces the database with the stored snapshot at `metadata.index` (sent by the leader). */
  private async installSnapshot(metadata: SnapshotMetadata): Promise<void> {
    // A snapshot of our own being copied meanwhile would describe a database this install replaces (the
    // copy restarts on a changed source) with an older index: it finishes first, and none starts until
    // the install is done.
    this.installing = true;
    try {
      await this.snapshotInFlight;
      await this.installSnapshotNow(metadata);
    } finally {
      this.installing = false;
    }
  }

  private async installSnapshotNow(metadata: SnapshotMetadata): Promise<void> {
    const stored = this.snapshots.list().find((candidate) => candidate.meta.index === metadata.index);
    if (stored === undefined) throw new Error(`the snapshot at index ${metadata.index} is not stored here`);
    // Only the bootstrap snapshot at index 0 is empty, and a leader never needs to send that one.
    if (stored.dataBytes === 0) throw new Error(`the snapshot at index ${metadata.index} holds no database`);
    // The database is copied out of the snapshot file in chunks and restored from that copy, so that a
    // large database is never held in memory.
    const file = path.join(this.config.dataDir, snapshotWorkDirectoryName, 'installing.sqlite');
    fs.rmSync(file, { force: true });
    try {
      await stored.copyDataTo(file);
      await this.reads.exclusive(() => {
        this.database.restoreFromFile(file);
        this.databaseIndex = metadata.index;
      });
    } finally {
      fs.rmSync(file, { force: true });
    }
    this.storage.setSnapshot(metadata);
    this.latestSnapshot = metadata;
    this.counters.restores++;
    this.logger.info(`database replaced by the leader's snapshot at index ${metadata.index}`);
  }

  /**
   * Whether the node can serve: it knows a leader and has applied everything committed before it
   * started. A leader must also have applied an entry of its own term: only then has it applied every
   * entry an earlier leader (or itself, before a restart) may have acknowledged.
   */
  isReady(): boolean {
    if (this.closed || this.removed) return false;
    const soft = this.loop.softState();
    if (soft.leaderId === '' || this.loop.applied < this.commitAtOpen) return false;
    if (soft.role === 'leader') return this.raw.termAt(this.loop.applied) === this.raw.hardState().term;
    return true;
  }

  get lastSnapshot(): SnapshotMetadata {
    return this.latestSnapshot;
  }

  /** Whether this node leads a configuration of which it is the only member (what /boot requires). */
  isSoleLeader(): boolean {
    const configuration = this.raw.status().configuration;
    return (
      this.loop.softState().role === 'leader' &&
      configuration.voters.length === 1 &&
      configuration.voters[0] === this.config.nodeId &&
      configuration.learners.length === 0
    );
  }

  /**
   * Replaces the database with `image` outside the log (POST /boot) and stores the image as the snapshot
   * at the applied index, so that a restart starts from it. Only the sole member of its cluster may do
   * this: elsewhere the other nodes would keep the old database. No command is applied meanwhile. The
   * image must already be known to be a sound database (the caller checked it with VACUUM INTO). It
   * is given in memory or, so that a large one is never held in memory, as a file of the caller's own
   * (`{ file }`), which is read in chunks and left in place (its header may be rewritten in place to
   * rollback-journal form).
   */
  async boot(image: Uint8Array | { readonly file: string }): Promise<void> {
    if (!this.isReady())
      throw new BootRefusedError('not_ready', 'the node is not ready yet; retry in a moment');
    if (!this.isSoleLeader()) {
      throw new BootRefusedError(
        'not_single_node',
        'booting needs a cluster of one node: this node is not the only member and leader of its cluster',
      );
    }
    if (this.snapshotting) {
      throw new BootRefusedError('busy', 'a snapshot is being taken; retry once it is done');
    }
    this.snapshotting = true;
    try {
      await this.reads.exclusive(async () => {
        if (this.database.inTransaction) {
          throw new BootRefusedError(
            'busy',
            'a transaction opened by a client (BEGIN without COMMIT) is open; retry after it ends',
          );
        }
        const index = this.databaseIndex;
        const term = this.raw.termAt(index);
        if (term === undefined) throw new Error(`no term known for applied index ${index}`);
        const metadata: SnapshotMetadata = { index, term, confState: this.raw.status().configuration };
        const meta = { index, term, metadata: describeSnapshot(metadata.confState, this.members.toTable()) };
        // The image is made durable before the database changes. Should the restore then fail, the
        // snapshot is written again from the database as it still is, so the two never disagree.
        const stored =
          image instanceof Uint8Array
            ? await this.snapshots.save(meta, image)
            : await this.snapshots.saveFile(meta, image.file);
        try {
          if (image instanceof Uint8Array) this.database.restore(image);
          else this.database.restoreFromFile(image.file);
        } catch (error) {
          await this.snapshots.save(meta, this.database.snapshot());
          throw error;
        }
        this.storage.setSnapshot(metadata);
        await this.log.compact(index, term);
        this.latestSnapshot = metadata;
        this.counters.snapshots++;
        this.counters.restores++;
        this.logger.info(`database booted from a ${stored.dataBytes}-byte image; snapshot at index ${index}`);
      });
    } finally {
      this.snapshotting = false;
    }
  }

  /**
   * Snapshots the database at the applied index, stores it, and drops the log up to it, keeping the
   * last `trailingEntries` entries before it. Returns false when there is nothing new to snapshot or a
   * snapshot is already being taken.
   */
  async snapshot(options: { readonly trailingEntries?: number } = {}): Promise<boolean> {
    const trailingEntries = options.trailingEntries ?? 0;
    if (!Number.isSafeInteger(trailingEntries) || trailingEntries < 0) {
      throw new RangeError(`trailing log entries must be 0 or more, got ${trailingEntries}`);
    }
    if (this.snapshotting || this.installing || this.closed) return false;
    if (this.databaseIndex <= this.latestSnapshot.index) return false;
    this.snapshotting = true;
    const taking = this.takeSnapshot(trailingEntries);
    this.snapshotInFlight = taking.catch(() => undefined);
    return taking;
  }

  private async takeSnapshot(trailingEntries: number): Promise<boolean> {
    try {
      // The database is copied to a work file page by page and the file streamed into the snapshot, so
      // that memory does not grow with the database.
      const file = path.join(this.config.dataDir, snapshotWorkDirectoryName, 'taking.sqlite');
      fs.rmSync(file, { force: true });
      let stored: StoredSnapshot;
      let metadata: SnapshotMetadata;
      try {
        const captured = await snapshotToFile(this.reads, this.database, file, () => {
          const index = this.databaseIndex;
          return { index, term: this.raw.termAt(index), confState: this.raw.status().configuration };
        });
        if (captured.term === undefined) throw new Error(`no term known for applied index ${captured.index}`);
        metadata = { index: captured.index, term: captured.term, confState: captured.confState };
        stored = await this.snapshots.saveFile(
          {
            index: metadata.index,
            term: metadata.term,
            metadata: describeSnapshot(metadata.confState, this.members.toTable()),
          },
          file,
        );
      } finally {
        fs.rmSync(file, { force: true });
      }
      if (metadata.index <= this.latestSnapshot.index) {
        throw new Error(
          `a newer snapshot (index ${this.latestSnapshot.index}) was installed while the one at ${metadata.index} was taken`,
        );
      }
      this.storage.setSnapshot(metadata);
      // The log keeps its entries after the compaction point it already has, however many are asked.
      await this.storage.compact(Math.max(this.log.firstIndex() - 1, metadata.index - trailingEntries));
      this.latestSnapshot = metadata;
      this.counters.snapshots++;
      this.logger.info(
        `snapshot taken at index ${metadata.index} (${stored.dataBytes} bytes); log compacted`,
      );
      return true;
    } catch (error) {
      this.counters.snapshotsFailed++;
      throw error;
    } finally {
      this.snapshotting = false;
    }
  }

  /**
   * Stops the node: the loop finishes the work in hand (writes synced and applied), then the state
   * machine and the log are closed (the log's last writes are synced) and the data directory unlocked.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.loop.stop();
    await this.network.close();
    await this.reads.close();
    this.database.close();
    await this.log.close();
    this.lock.release();
  }

  /**
   * Applies committed entries in log order; one result per entry reaches its proposer. An entry this
   * node proposed comes with its command (`proposed`), which spares decoding what was just encoded. The
   * commands of the entries are applied together (small writes committed together share one SQLite
   * transaction, see SqliteDatabase.applyEach).
   */
  private apply(
    entries: readonly Entry[],
    proposed: readonly (Command | undefined)[],
  ): Promise<readonly unknown[]> {
    return this.reads.exclusive(() => {
      const results = new Array<unknown>(entries.length).fill(undefined);
      const commands: Command[] = [];
      const positions: number[] = [];
      entries.forEach((entry, i) => {
        if (entry.index !== this.databaseIndex + 1 + i) {
          throw new Error(
            `entry ${entry.index} applied after entry ${this.databaseIndex + i}: log order broken`,
          );
        }
        const command = this.commandOf(entry, proposed[i]);
        if (command === undefined) return;
        commands.push(command);
        positions.push(i);
      });
      this.database.applyEach(commands).forEach((outcome, k) => {
        // A command can fail as a whole (a transaction that cannot commit); it fails identically on
        // every node, and its proposer is told.
        if (outcome instanceof CommandFailedError) this.counters.failedCommands++;
        else this.counters.appliedCommands++;
        results[positions[k]!] = outcome;
      });
      this.databaseIndex += entries.length;
      return results;
    });
  }

  /** The command an entry carries, or undefined for one that changes no data (a membership change). */
  private commandOf(entry: Entry, proposed: Command | undefined): Command | undefined {
    if (entry.type === 'confChange') {
      const { change } = decodeConfChangeEntry(entry.data);
      if (change.kind === 'removeNode' && change.node === this.config.nodeId) {
        this.logger.warn('this node was removed from the cluster');
      }
      return undefined;
    }
    if (entry.type !== 'normal') return undefined;
    // A committed entry that cannot be decoded means a corrupt or foreign log: continuing would let this
    // node's database silently differ from the others', so it is fatal.
    return proposed ?? decodeCommand(entry.data);
  }

  private static async openLog(config: NodeConfig, warnings: LogWarningSink): Promise<DurableLog> {
    return DurableLog.open(path.join(config.dataDir, 'raft', 'log'), { warnings });
  }

  /**
   * The snapshot to start from. A new node records its bootstrap configuration as an empty snapshot at
   * index 0, so that every later start finds the configuration on disk: itself as the only voter when it
   * founds a cluster, no member at all when it joins one (the leader's log then tells it everything).
   */
  private static async latestSnapshot(
    config: NodeConfig,
    log: DurableLog,
    snapshots: SnapshotStore,
    logger: Logger,
    start: { readonly self: MemberAddresses; readonly founder: boolean },
  ): Promise<{
    metadata: SnapshotMetadata;
    stored: StoredSnapshot | undefined;
    members: ReadonlyMap<string, MemberAddresses>;
  }> {
    let stored = snapshots.latest();
    if (stored === undefined) {
      if (log.lastIndex() > 0 || log.hardState().term > 0) {
        throw new NodeStartError(
          `the log in ${config.dataDir} has entries but no snapshot holds the cluster configuration; ` +
            'the data directory is incomplete (restore it from a backup, or start with an empty directory)',
        );
      }
      const bootstrap: ConfState = start.founder
        ? { voters: [config.nodeId], learners: [] }
        : { voters: [], learners: [] };
      stored = await snapshots.save(
        {
          index: 0,
          term: 0,
          metadata: describeSnapshot(bootstrap, start.founder ? { [config.nodeId]: start.self } : {}),
        },
        new Uint8Array(),
      );
      logger.info(
        start.founder
          ? `new cluster: this node (${config.nodeId}) is its only voter`
          : `new node (${config.nodeId}): waiting to be added to a cluster`,
      );
    }
    const metadata: SnapshotMetadata = {
      index: stored.meta.index,
      term: stored.meta.term,
      confState: decodeConfState(stored.meta.metadata),
    };
    if (log.firstIndex() > metadata.index + 1) {
      throw new NodeStartError(
        `the log in ${config.dataDir} starts at entry ${log.firstIndex()} but the newest snapshot ends at ` +
          `${metadata.index}: entries in between are missing`,
      );
    }
    return { metadata, stored, members: membersOfSnapshot(stored.meta.metadata) };
  }

  private static async openDatabase(
    config: NodeConfig,
    snapshot: StoredSnapshot | undefined,
    logger: Logger,
  ): Promise<SqliteDatabase> {
    // The database is rebuilt from the snapshot and the log at every start: an on-disk file left by the
    // previous run is written without fsync (the log is the durable record), so it may lag the log, and
    // nothing in it says which entry it reflects.
    if (config.onDisk) {
      fs.mkdirSync(path.dirname(config.onDiskPath), { recursive: true });
      SqliteDatabase.removeFiles(config.onDiskPath);
    }
    const database = new SqliteDatabase(
      config.onDisk
        ? { mode: 'disk', path: config.onDiskPath, foreignKeys: config.foreignKeys }
        : { mode: 'memory', foreignKeys: config.foreignKeys },
    );
    // Copies on their way into or out of snapshots are working files: those of the previous run go.
    const workDirectory = path.join(config.dataDir, snapshotWorkDirectoryName);
    fs.rmSync(workDirectory, { recursive: true, force: true });
    fs.mkdirSync(workDirectory, { recursive: true });
    if (snapshot !== undefined && snapshot.dataBytes > 0) {
      // Through a file copied in chunks, so that a large database is never held in memory.
      const file = path.join(workDirectory, 'restoring.sqlite');
      try {
        await snapshot.copyDataTo(file);
        database.restoreFromFile(file);
      } catch (error) {
        database.close();
        throw error;
      } finally {
        fs.rmSync(file, { force: true });
      }
      logger.info(`database restored from the snapshot at index ${snapshot.meta.index}`);
    }
    return database;
  }
}
