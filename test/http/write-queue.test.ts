// The queued-writes queue on a manual clock: when batches leave (by size, by time), what they contain, the
// bound on waiting requests, waiting for a batch, barriers, retries of failures that may pass, drops, and
// sequence numbers beyond 2^53.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Statement, StatementsCommand } from '../../src/command/types.js';
import type { StatementsResponse } from '../../src/http/store.js';
import {
  WriteQueue,
  WriteQueueClosedError,
  WriteQueueFullError,
  writeQueueDefaults,
  type QueuedOutcome,
  type WriteQueueConfig,
  type WriteQueueScheduler,
} from '../../src/http/write-queue.js';

/** A clock that moves only when told, running due timers in time order. */
class ManualScheduler implements WriteQueueScheduler {
  private now = 0;
  private timers: { atMs: number; order: number; callback: () => void; cancelled: boolean }[] = [];
  private order = 0;

  nowMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, callback: () => void): () => void {
    const timer = { atMs: this.now + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves the clock forward by `ms`, firing timers as their time comes, and lets promises settle. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.now + ms;
    await settle();
    for (let fired = 0; fired < 10_000; fired++) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const due = this.timers
        .filter((timer) => timer.atMs <= targetMs)
        .sort((a, b) => a.atMs - b.atMs || a.order - b.order)[0];
      if (due === undefined) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.now = due.atMs;
      due.callback();
      await settle();
    }
    this.now = targetMs;
  }
}

/** Lets every promise chain that can move on do so. */
async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve));
}

class TransientFailure extends Error {}

interface Harness {
  readonly queue: WriteQueue;
  readonly scheduler: ManualScheduler;
  readonly executed: StatementsCommand[];
  readonly logs: string[];
  /** How the next execution ends; by default every statement succeeds. */
  respond: (command: StatementsCommand) => Promise<StatementsResponse>;
}

function harness(config: Partial<WriteQueueConfig> = {}, sequenceNumberBase = 1_000n): Harness {
  const scheduler = new ManualScheduler();
  const executed: StatementsCommand[] = [];
  const logs: string[] = [];
  const state: Harness = {
    scheduler,
    executed,
    logs,
    respond: (command) =>
      Promise.resolve({
        results: command.statements.map(() => ({
          kind: 'write' as const,
          lastInsertId: 1n,
          rowsAffected: 1n,
          seconds: 0,
        })),
      }),
    queue: undefined as unknown as WriteQueue,
  };
  const queue = new WriteQueue(
    { ...writeQueueDefaults, batchSize: 3, timeoutMs: 1_000, ...config },
    {
      execute: (command) => {
        executed.push(command);
        return state.respond(command);
      },
      isTransient: (error) => error instanceof TransientFailure,
      scheduler,
      sequenceNumberBase,
      log: {
        warn: (message) => logs.push(`WARN ${message}`),
        error: (message) => logs.push(`ERROR ${message}`),
      },
    },
  );
  return Object.assign(state, { queue });
}

function statement(sql: string): Statement {
  return { sql, positional: [], named: {}, returnsRows: false };
}

const noSignal = new AbortController().signal;

function enqueue(h: Harness, ...sql: string[]): ReturnType<WriteQueue['enqueue']> {
  return h.queue.enqueue(sql.map(statement), { timeoutMs: 5_000, signal: noSignal });
}

function sqlOf(command: StatementsCommand | undefined): string[] {
  return command?.statements.map((s) => s.sql) ?? [];
}

/** Whether a promise has settled, without waiting for it. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle();
  return settled;
}

void describe('batches', () => {
  void test('leave when batchSize requests are queued, one batch at a time, statements in order', async () => {
    const h = harness({ batchSize: 3 });
    await enqueue(h, 'a1', 'a2');
    await enqueue(h, 'b');
    await enqueue(h, 'c');
    await enqueue(h, 'd');
    await settle();
    // Three requests (not statements) make a batch; the fourth waits for more or for the timeout.
    assert.equal(h.executed.length, 1);
    assert.deepEqual(sqlOf(h.executed[0]), ['a1', 'a2', 'b', 'c']);
    assert.equal(h.executed[0]?.transaction, false);
    assert.equal(h.executed[0]?.mode, 'execute');
    assert.equal(h.queue.status().queuedRequests, 1);
    assert.equal(h.queue.status().batchesBySize, 1);
  });

  void test('leave timeoutMs after the first queued request when not full', async () => {
    const h = harness({ batchSize: 10, timeoutMs: 1_000 });
    await enqueue(h, 'first');
    await h.scheduler.advance(600);
    await enqueue(h, 'second');
    await h.scheduler.advance(399);
    assert.equal(h.executed.length, 0);
    await h.scheduler.advance(1);
    assert.deepEqual(sqlOf(h.executed[0]), ['first', 'second']);
    assert.equal(h.queue.status().batchesByTimeout, 1);
    // The next batch's clock starts with its own first request.
    await enqueue(h, 'third');
    await h.scheduler.advance(999);
    assert.equal(h.executed.length, 1);
    await h.scheduler.advance(1);
    assert.deepEqual(sqlOf(h.executed[1]), ['third']);
  });

  void test('run in a transaction only when configured so', async () => {
    const h = harness({ batchSize: 1, transaction: true });
    await enqueue(h, 'x');
    await settle();
    assert.equal(h.executed[0]?.transaction, true);
  });

  void test('never overlap: the next batch starts after the previous one has finished', async () => {
    const h = harness({ batchSize: 1 });
    let finish: () => void = () => undefined;
    h.respond = () =>
      new Promise((resolve) => {
        finish = () => resolve({ results: [] });
      });
    await enqueue(h, 'one');
    await enqueue(h, 'two');
    await settle();
    assert.equal(h.executed.length, 1);
    finish();
    await settle();
    assert.equal(h.executed.length, 2);
  });
});

void describe('capacity', () => {
  void test('a full queue makes requests wait for room, in order, and never holds more than capacity', async () => {
    const h = harness({ capacity: 2, batchSize: 2, timeoutMs: 50 });
    let finish: () => void = () => undefined;
    h.respond = (command) =>
      new Promise((resolve) => {
        finish = () =>
          resolve({
            results: command.statements.map(() => ({
              kind: 'write',
              lastInsertId: 0n,
              rowsAffected: 0n,
              seconds: 0,
            })),
          });
      });
    // Two requests leave as a batch whose execution hangs; two more fill the queue.
    await enqueue(h, 'r1');
    await enqueue(h, 'r2');
    await enqueue(h, 'r3');
    await enqueue(h, 'r4');
    assert.equal(h.queue.status().queuedRequests, 2);
    const fifth = enqueue(h, 'r5');
    const sixth = enqueue(h, 'r6');
    assert.equal(await isSettled(fifth), false);
    assert.equal(h.queue.status().queuedRequests, 2);
    finish();
    await settle();
    // r3 and r4 left as the next batch, making room for r5 and r6, in the order they came.
    const [five, six] = await Promise.all([fifth, sixth]);
    assert.ok(five.sequenceNumber < six.sequenceNumber);
    assert.deepEqual(sqlOf(h.executed[1]), ['r3', 'r4']);
    assert.equal(h.queue.status().queuedRequests, 2);
  });

  void test('a request that finds no room within its timeout is refused with a clear error', async () => {
    const h = harness({ capacity: 1, batchSize: 5, timeoutMs: 10_000 });
    await enqueue(h, 'held');
    const refused = h.queue.enqueue([statement('late')], { timeoutMs: 300, signal: noSignal });
    await h.scheduler.advance(299);
    assert.equal(await isSettled(refused), false);
    await h.scheduler.advance(1);
    await assert.rejects(refused, (error: unknown) => {
      assert.ok(error instanceof WriteQueueFullError);
      assert.match(error.message, /write queue full: 1 queued requests.*-write-queue-capacity/);
      return true;
    });
    assert.equal(h.queue.status().queuedRequests, 1);
    assert.equal(h.queue.status().requestsAccepted, 1);
  });
});

void describe('waiting for a batch', () => {
  void test('settles once the batch holding the request has been executed', async () => {
    const h = harness({ batchSize: 10, timeoutMs: 100 });
    const ticket = await enqueue(h, 'w');
    assert.equal(await isSettled(ticket.settled), false);
    await h.scheduler.advance(100);
    assert.deepEqual(await ticket.settled, { kind: 'executed' });
    assert.equal(h.queue.status().sequenceNumber, ticket.sequenceNumber);
  });

  void test('an empty request is a barrier: it settles after everything queued before it', async () => {
    const h = harness({ batchSize: 2, timeoutMs: 100 });
    let finish: () => void = () => undefined;
    h.respond = () =>
      new Promise((resolve) => {
        finish = () => resolve({ results: [] });
      });
    const before = await enqueue(h, 'x', 'y');
    const barrier = await enqueue(h);
    await settle();
    // The barrier shares the batch of the write before it, and the batch sends only real statements.
    assert.deepEqual(sqlOf(h.executed[0]), ['x', 'y']);
    assert.equal(await isSettled(barrier.settled), false);
    finish();
    assert.deepEqual(await barrier.settled, { kind: 'executed' });
    assert.deepEqual(await before.settled, { kind: 'executed' });
    // A batch of barriers alone executes nothing.
    const alone = await enqueue(h);
    await h.scheduler.advance(100);
    assert.deepEqual(await alone.settled, { kind: 'executed' });
    assert.equal(h.executed.length, 1);
  });
});

void describe('failures', () => {
  void test('a batch is retried with growing delays while its failure may pass', async () => {
    const h = harness({ batchSize: 1, retryWindowMs: 10_000, retryDelayFirstMs: 100, retryDelayMaxMs: 400 });
    let failures = 3;
    const succeed = h.respond;
    h.respond = (command) =>
      failures-- > 0 ? Promise.reject(new TransientFailure('leader not found')) : succeed(command);
    const ticket = await enqueue(h, 'retried');
    await settle();
    assert.equal(h.executed.length, 1);
    await h.scheduler.advance(99);
    assert.equal(h.executed.length, 1);
    await h.scheduler.advance(1);
    assert.equal(h.executed.length, 2);
    await h.scheduler.advance(200);
    assert.equal(h.executed.length, 3);
    await h.scheduler.advance(400);
    assert.equal(h.executed.length, 4);
    assert.deepEqual(await ticket.settled, { kind: 'executed' });
    const status = h.queue.status();
    assert.equal(status.batchAttemptsFailed, 3);
    assert.equal(status.batchesExecuted, 1);
    assert.equal(status.batchesDropped, 0);
    assert.equal(status.sequenceNumber, ticket.sequenceNumber);
    // One warning for the batch, not one per attempt.
    assert.equal(h.logs.filter((line) => line.startsWith('WARN')).length, 1);
  });

  void test('a batch still failing at the end of the retry window is dropped and its numbers logged', async () => {
    const h = harness({
      batchSize: 2,
      timeoutMs: 10,
      retryWindowMs: 1_000,
      retryDelayFirstMs: 100,
      retryDelayMaxMs: 200,
    });
    h.respond = () => Promise.reject(new TransientFailure('the leader is unreachable'));
    const first = await enqueue(h, 'lost1');
    const second = await enqueue(h, 'lost2');
    await h.scheduler.advance(5_000);
    const reason = `queued writes lost: batch of sequence numbers ${first.sequenceNumber}-${second.sequenceNumber} (2 requests, 2 statements) dropped`;
    const outcome = await first.settled;
    assert.equal(outcome.kind, 'dropped');
    assert.ok(outcome.kind === 'dropped' && outcome.reason.startsWith(reason), JSON.stringify(outcome));
    assert.ok(
      h.logs.some((line) => line.startsWith(`ERROR ${reason}`) && line.includes('the leader is unreachable')),
    );
    // 0, 100, 300, 500, 700, 900: the next delay would pass the window.
    assert.equal(h.executed.length, 6);
    const status = h.queue.status();
    assert.equal(status.batchesDropped, 1);
    assert.equal(status.requestsDropped, 2);
    assert.equal(status.sequenceNumber, 0n);
    assert.match(status.lastError, /queued writes lost/);
    // The queue goes on with the next batch.
    h.respond = () => Promise.resolve({ results: [] });
    const next = await enqueue(h, 'after');
    await h.scheduler.advance(10);
    assert.deepEqual(await next.settled, { kind: 'executed' });
  });

  void test('a failure that will not pass drops the batch at once', async () => {
    const h = harness({ batchSize: 1 });
    h.respond = () => Promise.reject(new Error('disk full'));
    const ticket = await enqueue(h, 'doomed');
    const outcome: QueuedOutcome = await ticket.settled;
    assert.equal(outcome.kind, 'dropped');
    assert.equal(h.executed.length, 1);
    assert.ok(h.logs.some((line) => line.includes('not retried: disk full')));
  });

  void test('statements that fail inside an executed batch are counted and logged, not retried', async () => {
    const h = harness({ batchSize: 1 });
    h.respond = () =>
      Promise.resolve({
        results: [
          { kind: 'write', lastInsertId: 1n, rowsAffected: 1n, seconds: 0 },
          { kind: 'error', error: 'UNIQUE constraint failed: t.id' },
        ],
      });
    const ticket = await enqueue(h, 'ok', 'duplicate');
    assert.deepEqual(await ticket.settled, { kind: 'executed' });
    await h.scheduler.advance(60_000);
    assert.equal(h.executed.length, 1);
    const status = h.queue.status();
    assert.equal(status.statementErrors, 1);
    assert.equal(status.batchesExecuted, 1);
    assert.match(status.lastError, /UNIQUE constraint failed/);
    assert.ok(h.logs.some((line) => line.startsWith('ERROR') && line.includes('1 of its statements failed')));
  });
});

void describe('sequence numbers', () => {
  void test('grow by one per request from the base, exact beyond 2^53', async () => {
    const base = 1_795_329_686_215_475_364n;
    const h = harness({ batchSize: 100 }, base);
    const numbers: bigint[] = [];
    for (let i = 0; i < 5; i++) numbers.push((await enqueue(h, `s${i}`)).sequenceNumber);
    assert.deepEqual(numbers, [base + 1n, base + 2n, base + 3n, base + 4n, base + 5n]);
    assert.ok(numbers[0] !== undefined && numbers[0] > 2n ** 53n);
    await h.scheduler.advance(1_000);
    assert.equal(h.queue.status().sequenceNumber, base + 5n);
  });
});

void describe('closing', () => {
  void test('executes what is queued at once and refuses new requests', async () => {
    const h = harness({ batchSize: 100, timeoutMs: 60_000 });
    const ticket = await enqueue(h, 'queued');
    await h.queue.close(1_000);
    assert.deepEqual(sqlOf(h.executed[0]), ['queued']);
    assert.deepEqual(await ticket.settled, { kind: 'executed' });
    assert.equal(h.queue.status().batchesByFlush, 1);
    await assert.rejects(enqueue(h, 'too late'), WriteQueueClosedError);
  });

  void test('drops what is left when the grace period ends', async () => {
    const h = harness({ batchSize: 1, timeoutMs: 10 });
    h.respond = () => new Promise(() => undefined);
    await enqueue(h, 'hangs');
    const waiting = await enqueue(h, 'never runs');
    const closed = h.queue.close(500);
    await h.scheduler.advance(500);
    await closed;
    const outcome = await waiting.settled;
    assert.equal(outcome.kind, 'dropped');
    assert.ok(h.logs.some((line) => line.includes(`sequence number ${waiting.sequenceNumber} `)));
  });
});
