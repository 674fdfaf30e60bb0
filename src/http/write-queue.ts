// Queued writes (`POST /db/execute?queue`): requests accepted at once with a sequence number, held in a
// bounded in-memory FIFO, and executed in batches, one batch at a time and in order. A batch leaves when
// `batchSize` requests are waiting or when the oldest has waited `timeoutMs`; its statements become one
// execute. Time and the execution itself are injected, so that every rule here is testable without real
// timers or a real store.
//
// Failures are never silent. A batch that fails for a reason that may pass (no leader, leader unreachable,
// forwarding failed) is retried with a growing delay for at most `retryWindowMs`, then dropped with an
// error naming the lost sequence numbers; any other failure drops it at once. Statements that fail inside
// an executed batch (a constraint violation) are not retried: they are counted and logged. All of it shows
// in `status()`, which /status and /debug/vars publish.
import type { Statement, StatementsCommand } from '../command/types.js';
import type { StatementsResponse } from './store.js';

export interface WriteQueueConfig {
  /** Most requests waiting for a batch; a request that finds the queue full waits for room. */
  readonly capacity: number;
  /** Requests (not statements) per batch. */
  readonly batchSize: number;
  /** Longest time the first request of a batch waits for the batch to fill. */
  readonly timeoutMs: number;
  /** Run each batch in one transaction. */
  readonly transaction: boolean;
  /** How long a batch is retried while its failure may pass; then it is dropped. */
  readonly retryWindowMs: number;
  /** Delay before the first retry; it doubles up to `retryDelayMaxMs`. */
  readonly retryDelayFirstMs: number;
  readonly retryDelayMaxMs: number;
}

// rqlited's flag defaults. The retry window is 30 s because that is the `timeout` a client gets by default
// for forwarding and for `wait`: long enough to outlast an election or a leader's restart, short enough
// that a batch nobody can execute does not hold memory and waiting clients much longer than they would
// wait for a plain write. Retrying a batch whose forward timed out may execute it twice (the leader may
// have applied it before the answer was lost): queued writes are at-least-once across such failures, as
// they are on rqlite.
export const writeQueueDefaults: WriteQueueConfig = {
  capacity: 1024,
  batchSize: 128,
  timeoutMs: 50,
  transaction: false,
  retryWindowMs: 30_000,
  retryDelayFirstMs: 100,
  retryDelayMaxMs: 2_000,
};

/** Time for the queue: a clock and one-shot timers (a fake in tests). */
export interface WriteQueueScheduler {
  nowMs(): number;
  /** Calls `callback` once after `delayMs`; the returned function cancels it. */
  setTimer(delayMs: number, callback: () => void): () => void;
}

export const systemScheduler: WriteQueueScheduler = {
  nowMs: () => Date.now(),
  setTimer: (delayMs, callback) => {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};

export interface WriteQueueDependencies {
  /** Executes a batch the way a plain /db/execute is executed (locally on the leader, else forwarded). */
  execute(command: StatementsCommand): Promise<StatementsResponse>;
  /** Whether a failure of `execute` may pass by itself, so that the batch is worth retrying. */
  isTransient(error: unknown): boolean;
  readonly scheduler: WriteQueueScheduler;
  /** The first request gets this number plus one; rqlite starts at the node's start time in nanoseconds. */
  readonly sequenceNumberBase: bigint;
  readonly log: { warn(message: string): void; error(message: string): void };
}

/** What became of a queued request. */
export type QueuedOutcome =
  { readonly kind: 'executed' } | { readonly kind: 'dropped'; readonly reason: string };

export interface QueuedTicket {
  readonly sequenceNumber: bigint;
  /** Settles when the batch holding the request has been executed or dropped; never rejects. */
  readonly settled: Promise<QueuedOutcome>;
}

/** The queue was full for as long as the request was willing to wait. */
export class WriteQueueFullError extends Error {
  override readonly name = 'WriteQueueFullError';
  constructor(capacity: number, waitedMs: number) {
    super(
      `write queue full: ${capacity} queued requests are waiting and no room was made within ${waitedMs}ms; ` +
        `retry later, give a longer timeout, or start the node with a larger -write-queue-capacity`,
    );
  }
}

/** The node is stopping: the queue takes no new requests. */
export class WriteQueueClosedError extends Error {
  override readonly name = 'WriteQueueClosedError';
  constructor() {
    super('node is shutting down: queued writes are not accepted');
  }
}

/** Counters and state for /status and /debug/vars. Counts are totals since the node started. */
export interface WriteQueueStatus {
  readonly capacity: number;
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly transaction: boolean;
  /** Requests waiting for a batch now. */
  readonly queuedRequests: number;
  /** The highest sequence number whose batch was executed (0 before any). */
  readonly sequenceNumber: bigint;
  readonly requestsAccepted: number;
  readonly statementsAccepted: number;
  /** Requests taken out of the queue into batches. */
  readonly requestsBatched: number;
  readonly statementsSent: number;
  readonly batchesExecuted: number;
  readonly batchesBySize: number;
  readonly batchesByTimeout: number;
  readonly batchesByFlush: number;
  /** Executions of a batch that failed as a whole (each retry counts). */
  readonly batchAttemptsFailed: number;
  readonly batchesDropped: number;
  readonly requestsDropped: number;
  /** Statements that failed inside executed batches. */
  readonly statementErrors: number;
  /** The last failure, of a batch or of a statement in one; "" when there was none. */
  readonly lastError: string;
}

interface QueuedRequest {
  readonly sequenceNumber: bigint;
  readonly statements: readonly Statement[];
  readonly enqueuedAtMs: number;
  readonly settle: (outcome: QueuedOutcome) => void;
}

interface RoomWaiter {
  readonly statements: readonly Statement[];
  readonly admit: (ticket: QueuedTicket) => void;
  readonly refuse: (error: Error) => void;
}

export class WriteQueue {
  private readonly pending: QueuedRequest[] = [];
  private readonly roomWaiters: RoomWaiter[] = [];
  private nextSequenceNumber: bigint;
  private running = false;
  private cancelBatchTimer: (() => void) | undefined;
  private closing = false;
  /** Set while closing: no batch is retried past this time. */
  private closeDeadlineMs = Number.POSITIVE_INFINITY;
  /** Ends a retry delay early (when the queue closes). */
  private wakeRetry: (() => void) | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  private counts = {
    sequenceNumber: 0n,
    requestsAccepted: 0,
    statementsAccepted: 0,
    requestsBatched: 0,
    statementsSent: 0,
    batchesExecuted: 0,
    batchesBySize: 0,
    batchesByTimeout: 0,
    batchesByFlush: 0,
    batchAttemptsFailed: 0,
    batchesDropped: 0,
    requestsDropped: 0,
    statementErrors: 0,
    lastError: '',
  };

  constructor(
    private readonly config: WriteQueueConfig,
    private readonly dependencies: WriteQueueDependencies,
  ) {
    for (const name of ['capacity', 'batchSize'] as const) {
      if (!(Number.isSafeInteger(config[name]) && config[name] >= 1)) {
        throw new RangeError(`WriteQueue: ${name} must be an integer of at least 1, got ${config[name]}`);
      }
    }
    for (const name of ['timeoutMs', 'retryWindowMs', 'retryDelayFirstMs', 'retryDelayMaxMs'] as const) {
      if (!(Number.isFinite(config[name]) && config[name] > 0)) {
        throw new RangeError(`WriteQueue: ${name} must be a positive number, got ${config[name]}`);
      }
    }
    this.nextSequenceNumber = dependencies.sequenceNumberBase + 1n;
  }

  /**
   * Queues a request (an empty one is a barrier: it settles once everything queued before it has). When
   * the queue is full, waits for room for at most `timeoutMs`, then throws WriteQueueFullError; throws
   * WriteQueueClosedError once the queue is closing, and the signal's reason when it aborts.
   */
  enqueue(
    statements: readonly Statement[],
    options: { readonly timeoutMs: number; readonly signal: AbortSignal },
  ): Promise<QueuedTicket> {
    if (this.closing) return Promise.reject(new WriteQueueClosedError());
    if (options.signal.aborted) return Promise.reject(abortReason(options.signal));
    // Waiters are served first, so that a full queue admits requests in the order they came.
    if (this.roomWaiters.length === 0 && this.pending.length < this.config.capacity) {
      return Promise.resolve(this.admit(statements));
    }
    return new Promise<QueuedTicket>((resolve, reject) => {
      const startedMs = this.dependencies.scheduler.nowMs();
      const finish = (): void => {
        cancelTimer();
        options.signal.removeEventListener('abort', onAbort);
        const index = this.roomWaiters.indexOf(waiter);
        if (index !== -1) this.roomWaiters.splice(index, 1);
      };
      const waiter: RoomWaiter = {
        statements,
        admit: (ticket) => {
          finish();
          resolve(ticket);
        },
        refuse: (error) => {
          finish();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.refuse(abortReason(options.signal));
      const cancelTimer = this.dependencies.scheduler.setTimer(options.timeoutMs, () =>
        waiter.refuse(
          new WriteQueueFullError(this.config.capacity, this.dependencies.scheduler.nowMs() - startedMs),
        ),
      );
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.roomWaiters.push(waiter);
    });
  }

  status(): WriteQueueStatus {
    return {
      capacity: this.config.capacity,
      batchSize: this.config.batchSize,
      timeoutMs: this.config.timeoutMs,
      transaction: this.config.transaction,
      queuedRequests: this.pending.length,
      ...this.counts,
    };
  }

  /**
   * Stops accepting requests and executes what is queued at once, without waiting for batches to fill.
   * Resolves when the queue is empty, or after `graceMs`: what is still queued then is dropped (and
   * logged). A batch being executed at that moment cannot be recalled; its outcome is logged when known.
   */
  async close(graceMs: number): Promise<void> {
    const scheduler = this.dependencies.scheduler;
    if (!this.closing) {
      this.closing = true;
      this.closeDeadlineMs = scheduler.nowMs() + Math.max(0, graceMs);
      for (const waiter of [...this.roomWaiters]) waiter.refuse(new WriteQueueClosedError());
      this.wakeRetry?.();
      this.schedule();
    }
    if (this.isIdle()) return;
    let cancelTimer: () => void = () => undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      cancelTimer = scheduler.setTimer(this.closeDeadlineMs - scheduler.nowMs(), () => resolve(true));
    });
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(false)));
    const expired = await Promise.race([idle, timedOut]);
    cancelTimer();
    if (expired && this.pending.length > 0) {
      const lost = this.pending.splice(0, this.pending.length);
      this.drop(lost, `the node stopped before they were executed (grace period ${graceMs}ms over)`);
    }
  }

  private isIdle(): boolean {
    return !this.running && this.pending.length === 0;
  }

  private admit(statements: readonly Statement[]): QueuedTicket {
    let settle: (outcome: QueuedOutcome) => void = () => undefined;
    const settled = new Promise<QueuedOutcome>((resolve) => (settle = resolve));
    const sequenceNumber = this.nextSequenceNumber++;
    this.pending.push({
      sequenceNumber,
      statements,
      enqueuedAtMs: this.dependencies.scheduler.nowMs(),
      settle,
    });
    if (this.pending.length > this.config.capacity) {
      throw new Error(`WriteQueue: ${this.pending.length} requests queued, over the capacity`);
    }
    this.counts.requestsAccepted++;
    this.counts.statementsAccepted += statements.length;
    this.schedule();
    return { sequenceNumber, settled };
  }

  /** Milliseconds until the next batch is due: 0 when it is due now, undefined when nothing is queued. */
  private nextBatchDueInMs(): number | undefined {
    const first = this.pending[0];
    if (first === undefined) return undefined;
    if (this.closing || this.pending.length >= this.config.batchSize) return 0;
    const dueMs = first.enqueuedAtMs + this.config.timeoutMs - this.dependencies.scheduler.nowMs();
    return Math.max(0, dueMs);
  }

  /** Starts the next batch if it is due, or sets the timer for when it will be. */
  private schedule(): void {
    if (this.running) return;
    this.cancelBatchTimer?.();
    this.cancelBatchTimer = undefined;
    const dueInMs = this.nextBatchDueInMs();
    if (dueInMs === undefined) {
      this.notifyIdle();
      return;
    }
    if (dueInMs > 0) {
      this.cancelBatchTimer = this.dependencies.scheduler.setTimer(dueInMs, () => {
        this.cancelBatchTimer = undefined;
        this.schedule();
      });
      return;
    }
    this.running = true;
    void this.runDueBatches();
  }

  private async runDueBatches(): Promise<void> {
    try {
      while (this.nextBatchDueInMs() === 0) {
        const reason = this.closing
          ? 'batchesByFlush'
          : this.pending.length >= this.config.batchSize
            ? 'batchesBySize'
            : 'batchesByTimeout';
        this.counts[reason]++;
        const batch = this.pending.splice(0, this.config.batchSize);
        this.counts.requestsBatched += batch.length;
        this.admitWaiters();
        await this.runBatch(batch);
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** Moves requests waiting for room into the queue, oldest first, as far as room allows. */
  private admitWaiters(): void {
    while (this.pending.length < this.config.capacity) {
      const waiter = this.roomWaiters[0];
      if (waiter === undefined) return;
      waiter.admit(this.admit(waiter.statements));
    }
  }

  /** Executes one batch, retrying while its failure may pass. Never throws. */
  private async runBatch(batch: readonly QueuedRequest[]): Promise<void> {
    const { scheduler, log } = this.dependencies;
    const statements = batch.flatMap((request) => request.statements);
    // A batch of barriers only has nothing to execute: everything before it is done.
    if (statements.length === 0) return this.settleExecuted(batch);
    const command: StatementsCommand = {
      kind: 'statements',
      mode: 'execute',
      statements,
      transaction: this.config.transaction,
    };
    const names = describeBatch(batch, statements.length);
    const retryDeadlineMs = scheduler.nowMs() + this.config.retryWindowMs;
    let delayMs = this.config.retryDelayFirstMs;
    for (let attempt = 1; ; attempt++) {
      let response: StatementsResponse;
      try {
        this.counts.statementsSent += statements.length;
        response = await this.dependencies.execute(command);
      } catch (error) {
        this.counts.batchAttemptsFailed++;
        const message = error instanceof Error ? error.message : String(error);
        this.counts.lastError = `${names}: ${message}`;
        if (!this.dependencies.isTransient(error)) {
          return this.drop(batch, `they failed and are not retried: ${message}`);
        }
        const deadlineMs = Math.min(retryDeadlineMs, this.closeDeadlineMs);
        if (scheduler.nowMs() + delayMs > deadlineMs) {
          return this.drop(batch, `they still failed after ${attempt} attempts: ${message}`);
        }
        if (attempt === 1) {
          log.warn(`queued ${names} failed (${message}); retrying for up to ${this.config.retryWindowMs}ms`);
        }
        await this.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.config.retryDelayMaxMs);
        continue;
      }
      this.countStatementErrors(response, names);
      return this.settleExecuted(batch);
    }
  }

  private countStatementErrors(response: StatementsResponse, names: string): void {
    const errors = response.results.filter((result) => result.kind === 'error');
    const first = errors[0];
    if (first === undefined || first.kind !== 'error') return;
    this.counts.statementErrors += errors.length;
    this.counts.lastError = `${names}: ${first.error}`;
    this.dependencies.log.error(
      `queued ${names} was executed, but ${errors.length} of its statements failed; the first: ${first.error}`,
    );
  }

  private settleExecuted(batch: readonly QueuedRequest[]): void {
    const last = batch[batch.length - 1];
    if (last === undefined) throw new Error('WriteQueue: an empty batch was executed');
    if (last.sequenceNumber <= this.counts.sequenceNumber) {
      throw new Error(
        `WriteQueue: batches executed out of order (${last.sequenceNumber} after ${this.counts.sequenceNumber})`,
      );
    }
    this.counts.sequenceNumber = last.sequenceNumber;
    this.counts.batchesExecuted++;
    for (const request of batch) request.settle({ kind: 'executed' });
  }

  private drop(batch: readonly QueuedRequest[], why: string): void {
    if (batch.length === 0) return;
    const statementCount = batch.reduce((sum, request) => sum + request.statements.length, 0);
    const names = describeBatch(batch, statementCount);
    const reason = `queued writes lost: ${names} dropped because ${why}`;
    this.counts.batchesDropped++;
    this.counts.requestsDropped += batch.length;
    this.counts.lastError = reason;
    this.dependencies.log.error(reason);
    for (const request of batch) request.settle({ kind: 'dropped', reason });
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.dependencies.scheduler.setTimer(delayMs, () => wake());
      const wake = (): void => {
        cancel();
        this.wakeRetry = undefined;
        resolve();
      };
      this.wakeRetry = wake;
    });
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const notify of this.idleWaiters.splice(0, this.idleWaiters.length)) notify();
  }
}

/** Why a signal aborted, as an Error (a signal may be aborted with any value). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}

/** "batch of sequence numbers 11-14 (4 requests, 9 statements)", for log lines and /status. */
function describeBatch(batch: readonly QueuedRequest[], statementCount: number): string {
  const first = batch[0]?.sequenceNumber ?? 0n;
  const last = batch[batch.length - 1]?.sequenceNumber ?? 0n;
  const numbers = first === last ? `sequence number ${first}` : `sequence numbers ${first}-${last}`;
  return `batch of ${numbers} (${batch.length} requests, ${statementCount} statements)`;
}
