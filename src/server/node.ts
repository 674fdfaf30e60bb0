// One dustd node: the durable log, the snapshot store, the SQLite state machine and the consensus loop,
// opened in order, wired together, and closed in the reverse order. A node alone is a one-voter cluster
// on the same code path a cluster uses: it elects itself and commits each entry once it is durable.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { decodeCommand } from '../command/codec.js';
import type { Command } from '../command/types.js';
import { DurableLog, type LogWarningSink, SnapshotStore, type StoredSnapshot } from '../log/index.js';
import { decodeConfState, DiskRaftStorage, encodeConfState } from '../log/raft-storage.js';
import { type ConfState, type Entry, RawNode, SeededRandom, type SnapshotMetadata } from '../raft/index.js';
import { CommandFailedError, ReadPool, SqliteDatabase } from '../sqlite/index.js';
import type { NodeConfig } from './config.js';
import { DataDirectoryLock } from './data-dir-lock.js';
import type { Logger } from './logger.js';
import { RaftLoop } from './raft-loop.js';

/** A log or snapshot that cannot be used to start the node; the message says which and where. */
export class NodeStartError extends Error {
  override readonly name = 'NodeStartError';
}

// Consensus timing. A tick is the unit the core counts in; one second of silence starts an election, as
// rqlite's default -raft-election-timeout.
const tickIntervalMs = 100;
const electionTimeoutTicks = 10;
const heartbeatIntervalTicks = 1;

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
  private closed = false;

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
  ) {
    this.commitAtOpen = log.hardState().commit;
    this.latestSnapshot = storage.snapshot();
    this.databaseIndex = this.latestSnapshot.index;
  }

  static async open(config: NodeConfig, logger: Logger): Promise<DustNode> {
    fs.mkdirSync(path.join(config.dataDir, 'raft'), { recursive: true });
    const lock = DataDirectoryLock.acquire(config.dataDir);
    const warnings: LogWarningSink = { warn: (message) => logger.warn(message) };
    try {
      const log = await DustNode.openLog(config, warnings);
      const snapshots = await SnapshotStore.open(path.join(config.dataDir, 'raft', 'snapshots'), {
        warnings,
      });
      const latest = await DustNode.latestSnapshot(config, log, snapshots, logger);
      const database = await DustNode.openDatabase(config, latest.stored, logger);
      const reads = new ReadPool(database);
      const storage = new DiskRaftStorage(log, latest.metadata);
      const raw = new RawNode(
        {
          id: config.nodeId,
          random: new SeededRandom(randomInt(2 ** 47)),
          electionTimeoutTicks,
          heartbeatIntervalTicks,
          appliedIndex: latest.metadata.index,
        },
        storage,
      );
      // The loop's apply callback needs the node and the node needs the loop: the holder breaks the cycle.
      const holder: { node?: DustNode } = {};
      const loop = new RaftLoop(raw, log, storage, (entries) => (holder.node as DustNode).apply(entries), {
        tickIntervalMs,
        applyTimeoutMs: config.applyTimeoutMs,
        logger: logger.child('raft'),
      });
      const node = new DustNode(config, logger, lock, log, snapshots, database, reads, storage, raw, loop);
      holder.node = node;
      loop.start();
      const voters = raw.status().configuration.voters;
      if (voters.length === 1 && voters[0] === config.nodeId) loop.campaign();
      return node;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * Whether the node can serve: it knows a leader and has applied everything committed before it
   * started. A leader must also have applied an entry of its own term: only then has it applied every
   * entry an earlier leader (or itself, before a restart) may have acknowledged.
   */
  isReady(): boolean {
    if (this.closed) return false;
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
   * image must already be known to be a sound database (the caller checked it with VACUUM INTO).
   */
  async boot(image: Uint8Array): Promise<void> {
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
        const meta = { index, term, metadata: encodeConfState(metadata.confState) };
        // The image is made durable before the database changes. Should the restore then fail, the
        // snapshot is written again from the database as it still is, so the two never disagree.
        await this.snapshots.save(meta, image);
        try {
          this.database.restore(image);
        } catch (error) {
          await this.snapshots.save(meta, this.database.snapshot());
          throw error;
        }
        this.storage.setSnapshot(metadata);
        await this.log.compact(index, term);
        this.latestSnapshot = metadata;
        this.counters.snapshots++;
        this.counters.restores++;
        this.logger.info(`database booted from a ${image.byteLength}-byte image; snapshot at index ${index}`);
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
    if (this.snapshotting || this.closed) return false;
    if (this.databaseIndex <= this.latestSnapshot.index) return false;
    this.snapshotting = true;
    try {
      const { image, captured } = await this.reads.snapshot(() => {
        const index = this.databaseIndex;
        return { index, term: this.raw.termAt(index), confState: this.raw.status().configuration };
      });
      if (captured.term === undefined) throw new Error(`no term known for applied index ${captured.index}`);
      const metadata: SnapshotMetadata = {
        index: captured.index,
        term: captured.term,
        confState: captured.confState,
      };
      await this.snapshots.save(
        { index: metadata.index, term: metadata.term, metadata: encodeConfState(metadata.confState) },
        image,
      );
      this.storage.setSnapshot(metadata);
      // The log keeps its entries after the compaction point it already has, however many are asked.
      const compactThrough = Math.max(this.log.firstIndex() - 1, metadata.index - trailingEntries);
      const compactTerm = this.log.term(compactThrough);
      if (compactTerm === undefined) throw new Error(`no term known for log index ${compactThrough}`);
      await this.log.compact(compactThrough, compactTerm);
      this.latestSnapshot = metadata;
      this.counters.snapshots++;
      this.logger.info(
        `snapshot taken at index ${metadata.index} (${image.byteLength} bytes); log compacted`,
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
    await this.reads.close();
    this.database.close();
    await this.log.close();
    this.lock.release();
  }

  /** Applies committed entries in log order; one result per entry reaches its proposer. */
  private apply(entries: readonly Entry[]): Promise<readonly unknown[]> {
    return this.reads.exclusive(() => entries.map((entry) => this.applyOne(entry)));
  }

  private applyOne(entry: Entry): unknown {
    if (entry.index !== this.databaseIndex + 1) {
      throw new Error(`entry ${entry.index} applied after entry ${this.databaseIndex}: log order broken`);
    }
    this.databaseIndex = entry.index;
    if (entry.type !== 'normal') return undefined;
    // A committed entry that cannot be decoded means a corrupt or foreign log: continuing would let this
    // node's database silently differ from the others', so it is fatal.
    const command: Command = decodeCommand(entry.data);
    try {
      const results = this.database.apply(command);
      this.counters.appliedCommands++;
      return results;
    } catch (error) {
      // A command can fail as a whole (a transaction that cannot commit); it fails identically on every
      // node, and its proposer is told.
      if (error instanceof CommandFailedError) {
        this.counters.failedCommands++;
        return error;
      }
      throw error;
    }
  }

  private static async openLog(config: NodeConfig, warnings: LogWarningSink): Promise<DurableLog> {
    return DurableLog.open(path.join(config.dataDir, 'raft', 'log'), { warnings });
  }

  /**
   * The snapshot to start from. A new node records its bootstrap configuration (itself as the only voter)
   * as an empty snapshot at index 0, so that every later start finds the configuration on disk.
   */
  private static async latestSnapshot(
    config: NodeConfig,
    log: DurableLog,
    snapshots: SnapshotStore,
    logger: Logger,
  ): Promise<{ metadata: SnapshotMetadata; stored: StoredSnapshot | undefined }> {
    let stored = snapshots.latest();
    if (stored === undefined) {
      if (log.lastIndex() > 0 || log.hardState().term > 0) {
        throw new NodeStartError(
          `the log in ${config.dataDir} has entries but no snapshot holds the cluster configuration; ` +
            'the data directory is incomplete (restore it from a backup, or start with an empty directory)',
        );
      }
      const bootstrap: ConfState = { voters: [config.nodeId], learners: [] };
      stored = await snapshots.save(
        { index: 0, term: 0, metadata: encodeConfState(bootstrap) },
        new Uint8Array(),
      );
      logger.info(`new cluster: this node (${config.nodeId}) is its only voter`);
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
    return { metadata, stored };
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
    if (snapshot !== undefined && snapshot.dataBytes > 0) {
      database.restore(await snapshot.readAll());
      logger.info(`database restored from the snapshot at index ${snapshot.meta.index}`);
    }
    return database;
  }
}
