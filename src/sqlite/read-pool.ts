// A pool of worker threads, each with one read-only connection, that serves local reads so that a long
// query never blocks the main thread's event loop. Queries wait in a bounded queue for a free worker; a
// query that outlives its timeout is answered with rqlite's "query timeout" and its worker is replaced.
//
// The worker that ran out of time cannot be stopped at once: better-sqlite3 exposes neither
// sqlite3_interrupt nor a progress handler, so the statement runs on in that thread until SQLite returns.
// Such abandoned workers are counted and bounded (see DESIGN.md).
import { Worker } from 'node:worker_threads';

import type { Statement, StatementResult } from '../command/types.js';
import { readSlotsMax } from './apply-gate.js';
import type { ReadTarget, SqliteDatabase } from './database.js';
import {
  queryTimeoutMessage,
  type FromReadWorker,
  type ReadWorkerData,
  type ToReadWorker,
} from './read-protocol.js';

export interface ReadPoolOptions {
  /** Worker threads, each with one read-only connection. */
  readonly workers?: number;
  /** Queries that may wait for a worker; more are refused with `queue_full`. */
  readonly queueMax?: number;
  /** Timed-out workers allowed to run on until their statement ends, before no replacement is started. */
  readonly abandonedMax?: number;
  /**
   * After its timeout, how long a query's worker may still finish by itself before it is replaced.
   */
  readonly graceMs?: number;
}

export interface ReadQueryOptions {
  /** One read transaction for all statements (they always see one state; see DESIGN.md). */
  readonly transaction: boolean;
  /** rqlite's db_timeout: 0 for none. */
  readonly timeoutMs: number;
}

export type ReadPoolFailureCode = 'queue_full' | 'closed' | 'worker_failed';

export class ReadPoolError extends Error {
  override readonly name = 'ReadPoolError';
  readonly code: ReadPoolFailureCode;

  constructor(code: ReadPoolFailureCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ReadPoolStats {
  readonly workers: number;
  readonly busy: number;
  readonly queued: number;
  /** Workers that ran out of time and still run their last statement. */
  readonly abandoned: number;
  /** Bounded point reads run on the calling thread instead of a worker, since start. */
  readonly inline: number;
}

const defaults = { workers: 2, queueMax: 1024, abandonedMax: 2, graceMs: 50 } as const;
// A worker's V8 heap for short-lived objects (rows on their way to the main thread). V8 lets it grow to
// tens of megabytes per thread under a steady load, which it then keeps; a read's garbage is small and
// short-lived, so a small one costs little more collection work and bounds each worker's memory.
const workerYoungGenerationMb = 4;
// How often a write waiting for reads in memory re-examines who holds them.
const writeWaitPollMs = 20;

interface PendingQuery {
  readonly id: number;
  readonly statements: readonly Statement[];
  readonly transaction: boolean;
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly results: (StatementResult | undefined)[];
  readonly resolve: (results: StatementResult[]) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  answered: boolean;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly slot: number;
  current: PendingQuery | undefined;
  /** Set once the worker ran out of time and was told to stop. */
  abandoned: boolean;
  /** Set when its read no longer holds the current in-memory database (it was moved aside). */
  detached: boolean;
}

export class ReadPool {
  private readonly database: SqliteDatabase;
  private readonly workersWanted: number;
  private readonly queueMax: number;
  private readonly abandonedMax: number;
  private readonly graceMs: number;
  private readonly live = new Set<PooledWorker>();
  private readonly abandoned = new Set<PooledWorker>();
  private readonly freeSlots: number[] = [];
  private readonly queue: PendingQuery[] = [];
  private nextId = 1;
  private inlineReads = 0;
  private closed = false;
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(database: SqliteDatabase, options: ReadPoolOptions = {}) {
    this.database = database;
    this.workersWanted = checkedCount('workers', options.workers ?? defaults.workers, 1, 64);
    this.queueMax = checkedCount('queueMax', options.queueMax ?? defaults.queueMax, 1, 1_000_000);
    this.abandonedMax = checkedCount('abandonedMax', options.abandonedMax ?? defaults.abandonedMax, 0, 64);
    this.graceMs = checkedCount('graceMs', options.graceMs ?? defaults.graceMs, 0, 60_000);
    const slots = this.workersWanted + this.abandonedMax;
    if (slots > readSlotsMax)
      throw new RangeError(`read pool: workers + abandonedMax must be at most ${readSlotsMax}`);
    for (let slot = slots - 1; slot >= 0; slot--) this.freeSlots.push(slot);
    this.unsubscribe = database.onReadTargetChange((target) => this.retarget(target));
  }

  /**
   * Runs read statements in a worker and resolves with one result per non-empty statement. Statements
   * still running when `timeoutMs` passes are answered with "query timeout". Rejects with a
   * ReadPoolError when the queue is full, the pool is closed, or a worker fails unexpectedly.
   */
  query(statements: readonly Statement[], options: ReadQueryOptions): Promise<StatementResult[]> {
    if (this.closed) return Promise.reject(new ReadPoolError('closed', 'the read pool is closed'));
    const toRun = statements.filter((statement) => statement.sql !== '');
    if (toRun.length === 0) return Promise.resolve([]);
    // A bounded point read costs less than the hand-off to a worker and back: it runs here.
    if (this.database.arePointReads(toRun)) {
      this.inlineReads++;
      try {
        return Promise.resolve(this.database.query(toRun, { transaction: options.transaction }));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (this.queue.length >= this.queueMax) {
      return Promise.reject(
        new ReadPoolError(
          'queue_full',
          `too many reads waiting (${this.queueMax}); retry when the node is less busy`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = Math.max(0, options.timeoutMs);
      const pending: PendingQuery = {
        id: this.nextId++,
        statements: toRun,
        transaction: options.transaction,
        timeoutMs,
        deadlineMs: timeoutMs > 0 ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY,
        results: toRun.map(() => undefined),
        resolve,
        reject,
        timer: undefined,
        answered: false,
      };
      if (timeoutMs > 0) pending.timer = setTimeout(() => this.timeOut(pending), timeoutMs);
      this.queue.push(pending);
      this.startWorkers();
      this.dispatch();
    });
  }

  /**
   * Runs `work` (an apply or a restore) when no worker read can get in its way. On disk, WAL readers
   * never block the writer, so it runs at once. In memory, a reader's lock would make the write fail on
   * this node alone: new reads are held back and the write waits, without blocking the event loop, for
   * the reads in progress to end. If only abandoned reads remain, which may run for a long time, the
   * database is first copied to a new in-memory database and left to them.
   */
  exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.database.mode === 'disk') return await work();
      const gate = this.database.gate;
      gate.holdReaders();
      try {
        // Each round waits for a read to end or for a poll interval; reads are bounded by their
        // timeouts and abandoned ones are moved aside below, so the rounds end.
        for (;;) {
          if (gate.readsInProgress === 0) break;
          const liveReading = [...this.live].some((pooled) => gate.isReading(pooled.slot));
          const stuck = [...this.abandoned].filter(
            (pooled) => !pooled.detached && gate.isReading(pooled.slot),
          );
          if (!liveReading && stuck.length > 0 && !this.database.inTransaction) {
            this.database.restore(this.database.snapshot());
            for (const pooled of stuck) {
              pooled.detached = true;
              gate.clearSlot(pooled.slot);
            }
            continue;
          }
          await gate.waitForAReadToEnd(writeWaitPollMs);
        }
        return await work();
      } finally {
        gate.releaseReaders();
      }
    };
    const result = this.exclusiveTail.then(run, run);
    this.exclusiveTail = result.catch(() => undefined);
    return result;
  }

  stats(): ReadPoolStats {
    return {
      workers: this.live.size,
      busy: [...this.live].filter((pooled) => pooled.current !== undefined).length,
      queued: this.queue.length,
      abandoned: this.abandoned.size,
      inline: this.inlineReads,
    };
  }

  /** Refuses new queries, fails the waiting ones, and stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const pending of this.queue.splice(0))
      this.fail(pending, new ReadPoolError('closed', 'the read pool is closed'));
    const stopping: Promise<number>[] = [];
    for (const pooled of this.live) {
      if (pooled.current !== undefined) {
        this.fail(pooled.current, new ReadPoolError('closed', 'the read pool is closed'));
        // A worker inside SQLite cannot stop before its statement ends; do not wait for it.
        pooled.worker.unref();
        void pooled.worker.terminate();
      } else {
        stopping.push(pooled.worker.terminate());
      }
    }
    for (const pooled of this.abandoned) pooled.worker.unref();
    await Promise.all(stopping);
  }

  /**
   * Starts workers while reads wait that no idle worker will take, up to the pool's size. Each worker is
   * a thread with its own JavaScript engine (8-10 MB): a node whose reads are all point reads never
   * starts one, and one that sees a query now and then (the size of its database, say) starts one, not
   * the whole pool. Abandoned workers keep their slots until their thread exits, so the slots bound them.
   */
  private startWorkers(): void {
    let idle = 0;
    for (const pooled of this.live) if (pooled.current === undefined) idle++;
    while (
      !this.closed &&
      this.queue.length > idle &&
      this.live.size < this.workersWanted &&
      this.freeSlots.length > 0
    ) {
      const slot = this.freeSlots.pop()!;
      this.live.add(this.spawn(slot));
      idle++;
    }
  }

  private spawn(slot: number): PooledWorker {
    const data: ReadWorkerData = {
      gateBuffer: this.database.gate.buffer,
      slot,
      target: this.database.readTarget,
    };
    const worker = new Worker(new URL('./read-worker.js', import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: workerYoungGenerationMb },
    });
    const pooled: PooledWorker = { worker, slot, current: undefined, abandoned: false, detached: false };
    worker.unref(); // only a query in progress keeps the process alive
    worker.on('message', (message: FromReadWorker) => this.onMessage(pooled, message));
    worker.on('error', (error) => {
      const current = pooled.current;
      pooled.current = undefined;
      if (current !== undefined)
        this.fail(current, new ReadPoolError('worker_failed', `read worker failed: ${error.message}`));
    });
    worker.on('exit', () => this.onExit(pooled));
    return pooled;
  }

  private dispatch(): void {
    for (const pooled of this.live) {
      if (this.queue.length === 0) return;
      if (pooled.current !== undefined) continue;
      const pending = this.queue.shift()!;
      pooled.current = pending;
      pooled.worker.ref();
      const remainingMs = Number.isFinite(pending.deadlineMs)
        ? Math.max(1, Math.ceil(pending.deadlineMs - performance.now()))
        : 0;
      const message: ToReadWorker = {
        kind: 'query',
        id: pending.id,
        statements: pending.statements,
        transaction: pending.transaction,
        timeoutMs: remainingMs,
      };
      pooled.worker.postMessage(message);
    }
  }

  private onMessage(pooled: PooledWorker, message: FromReadWorker): void {
    const pending = pooled.current;
    if (pending === undefined || pending.id !== message.id) return; // a query already answered by timeout
    switch (message.kind) {
      case 'result':
        pending.results[message.index] = message.result;
        return;
      case 'done': {
        // The held results are the last ones: every earlier statement's result was sent on its own.
        const first = pending.results.length - message.results.length;
        message.results.forEach((result, offset) => (pending.results[first + offset] = result));
        this.release(pooled);
        this.finish(pending);
        break;
      }
      case 'stale':
        // The worker will have its new target before it sees the query again (messages keep their order).
        this.release(pooled);
        if (!pending.answered) this.queue.unshift(pending);
        break;
      case 'failed':
        this.release(pooled);
        this.fail(pending, new ReadPoolError('worker_failed', `read worker failed: ${message.message}`));
        break;
    }
    if (pooled.abandoned) this.live.delete(pooled);
    this.dispatch();
  }

  private release(pooled: PooledWorker): void {
    pooled.current = undefined;
    if (!pooled.abandoned) pooled.worker.unref();
  }

  // The client gets its answer at the deadline: finished statements with their results, the others with
  // "query timeout", as rqlite does. The worker gets a short grace to finish by itself before it is
  // replaced.
  private timeOut(pending: PendingQuery): void {
    pending.timer = undefined;
    const queued = this.queue.indexOf(pending);
    if (queued !== -1) this.queue.splice(queued, 1);
    this.finish(pending);
    if (queued !== -1) return;
    const pooled = [...this.live].find((candidate) => candidate.current === pending);
    if (pooled === undefined) return;
    setTimeout(() => {
      if (pooled.current === pending) this.abandon(pooled);
    }, this.graceMs).unref();
  }

  private abandon(pooled: PooledWorker): void {
    pooled.abandoned = true;
    pooled.current = undefined;
    this.live.delete(pooled);
    this.abandoned.add(pooled);
    void pooled.worker.terminate();
    pooled.worker.unref();
    this.startWorkers();
    this.dispatch();
  }

  private onExit(pooled: PooledWorker): void {
    const current = pooled.current;
    pooled.current = undefined;
    if (current !== undefined)
      this.fail(current, new ReadPoolError('worker_failed', 'read worker exited unexpectedly'));
    this.live.delete(pooled);
    this.abandoned.delete(pooled);
    // Only now can nothing in that thread touch its slot any more.
    this.database.gate.clearSlot(pooled.slot);
    this.freeSlots.push(pooled.slot);
    this.startWorkers();
    this.dispatch();
  }

  private retarget(target: ReadTarget): void {
    const message: ToReadWorker = { kind: 'retarget', target };
    for (const pooled of this.live) pooled.worker.postMessage(message);
  }

  private finish(pending: PendingQuery): void {
    if (pending.answered) return;
    pending.answered = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.resolve(pending.results.map((result) => result ?? { kind: 'error', error: queryTimeoutMessage }));
  }

  private fail(pending: PendingQuery, error: Error): void {
    if (pending.answered) return;
    pending.answered = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.reject(error);
  }
}

function checkedCount(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`read pool: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
