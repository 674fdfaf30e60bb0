// The database as the HTTP layer sees it (its DataStore interface): writes and strong reads become log
// entries through the consensus loop; other reads are served locally at the consistency level asked.
import { decodesExactly, encodeCommand } from '../command/codec.js';
import type { Statement, StatementResult, StatementsCommand } from '../command/types.js';
import {
  type DataStore,
  type ExecuteOptions,
  type LeaderHint,
  NotReadyError,
  type ReadOptions,
  StaleReadError,
  type StatementsResponse,
  StoreError,
} from '../http/store.js';
import { requireLeaderRole, storeErrorOf } from './loop-errors.js';
import type { RaftLoop } from './raft-loop.js';

/** What the store needs of the SQLite state machine for reads and classification. */
export interface LocalDatabase {
  /** A local read on read-only connections; may run off the event loop. */
  read(
    statements: readonly Statement[],
    options: { transaction: boolean; timeoutMs: number },
  ): Promise<StatementResult[]>;
  /** Whether SQLite deems the statement read-only (EXPLAIN included). */
  isReadOnly(statement: Statement): boolean;
}

/** The role this node plays in the cluster, as reads and writes need to know it. */
export interface NodeRole {
  /** Whether the node has finished starting: its log is replayed up to what was committed. */
  isReady(): boolean;
  /** Where the leader's HTTP API (for `redirect`) and Raft address (for forwarding) are, as far as known. */
  leaderHint(leaderId: string): LeaderHint;
  /** Milliseconds since this node last heard from its leader (0 on the leader; Infinity with none). */
  leaderContactAgeMs(): number;
  /** Whether this node votes (`auto` reads are `weak` on voters and `none` on read replicas). */
  isVoter(): boolean;
}

export class ReplicatedDataStore implements DataStore {
  constructor(
    private readonly loop: RaftLoop,
    private readonly database: LocalDatabase,
    private readonly role: NodeRole,
  ) {}

  async execute(command: StatementsCommand, _options: ExecuteOptions): Promise<StatementsResponse> {
    return this.throughLog(command);
  }

  async query(statements: readonly Statement[], options: ReadOptions): Promise<StatementsResponse> {
    if (!this.role.isReady()) throw new NotReadyError();
    const level = options.level === 'auto' ? (this.role.isVoter() ? 'weak' : 'none') : options.level;
    switch (level) {
      case 'strong':
        return this.throughLog({
          kind: 'statements',
          mode: 'query',
          statements,
          transaction: options.transaction,
        });
      case 'linearizable':
        await this.confirmLinearizable(options.linearizableTimeoutMs);
        return this.readLocally(statements, options);
      case 'weak':
        this.requireLeader();
        return this.readLocally(statements, options);
      case 'none':
        // `freshness` bounds how long ago this node last heard from its leader (never counts as too long).
        if (options.freshnessMs > 0 && this.role.leaderContactAgeMs() > options.freshnessMs) {
          throw new StaleReadError();
        }
        return this.readLocally(statements, options);
    }
  }

  async request(statements: readonly Statement[], options: ReadOptions): Promise<StatementsResponse> {
    if (!this.role.isReady()) throw new NotReadyError();
    const writes = statements.some((statement) => !this.database.isReadOnly(statement));
    if (!writes && options.level !== 'strong') return this.query(statements, options);
    return this.throughLog({
      kind: 'statements',
      mode: 'request',
      statements,
      transaction: options.transaction,
    });
  }

  private async throughLog(command: StatementsCommand): Promise<StatementsResponse> {
    try {
      // This node applies the command it holds, when that is exactly what its entry decodes to.
      const { index, result } = await this.loop.propose(
        encodeCommand(command),
        decodesExactly(command) ? command : undefined,
      );
      if (result instanceof Error) throw new StoreError('failed', result.message, { cause: result });
      return { results: result as StatementResult[], raftIndex: index };
    } catch (error) {
      throw this.translate(error);
    }
  }

  private async confirmLinearizable(timeoutMs: number): Promise<void> {
    try {
      const index = await this.loop.readIndex(timeoutMs);
      await this.loop.waitApplied(index, timeoutMs);
    } catch (error) {
      throw this.translate(error);
    }
  }

  private requireLeader(): void {
    requireLeaderRole(this.loop.softState(), (leaderId) => this.role.leaderHint(leaderId));
  }

  private async readLocally(
    statements: readonly Statement[],
    options: ReadOptions,
  ): Promise<StatementsResponse> {
    const results = await this.database.read(statements, {
      transaction: options.transaction,
      timeoutMs: options.dbTimeoutMs,
    });
    return { results };
  }

  private translate(error: unknown): Error {
    return storeErrorOf(error, (leaderId) => this.role.leaderHint(leaderId));
  }
}
