// POST /db/execute?queue through the API server over the fake store: the immediate answer and its exact
// sequence number, what reaches the store in batches, `wait` and its 408, the barrier, the leader check,
// the path through the leader on a follower, and what /status and /debug/vars report.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import type { StatementsCommand } from '../../src/command/types.js';
import {
  LeaderNotFoundError,
  NotLeaderError,
  noLeaderElsewhere,
  type LeaderProxy,
} from '../../src/http/store.js';
import { failed, fixedNowMs, send, startFakeNode, write, type FakeNode } from './fake-node.js';

const json = { 'Content-Type': 'application/json' };
const sequenceBase = BigInt(fixedNowMs) * 1_000_000n;

/** The sequence number of a queued answer, read from the text so that it stays exact. */
function sequenceNumberOf(body: string): bigint {
  const match = /"sequence_number":(\d+)/.exec(body);
  assert.ok(match !== null, `no sequence_number in ${body}`);
  return BigInt(match[1] ?? '');
}

async function pollUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

void describe('queued writes on a leader', () => {
  let node: FakeNode;
  let nextSequence = sequenceBase + 1n;
  before(async () => {
    // Long enough that four requests sent one after another on a busy machine still share one batch.
    node = await startFakeNode({ writeQueue: { timeoutMs: 500, batchSize: 4 } });
  });
  after(() => node.close());
  beforeEach(() => {
    node.store.responder = (call) => ({ results: call.statements.map(() => write(1n, 1n)) });
    node.status.leader_ = { id: '1', address: '127.0.0.1:4002', voter: true };
  });

  void test('answers at once with the next sequence number, exact beyond 2^53, then executes', async () => {
    node.store.calls.length = 0;
    const response = await send(
      node.port,
      'POST',
      '/db/execute?queue',
      '["INSERT INTO t VALUES(RANDOM())"]',
      json,
    );
    assert.equal(response.status, 200);
    assert.equal(response.text(), `{"results":[],"sequence_number":${nextSequence}}`);
    assert.ok(sequenceNumberOf(response.text()) > 2n ** 53n);
    nextSequence++;
    await pollUntil(() => node.store.calls.length === 1);
    const command = node.store.calls[0]?.command as StatementsCommand;
    // Prepared on the receiving node exactly as a plain execute: RANDOM() rewritten before queueing.
    assert.deepEqual(
      command.statements.map((s) => s.sql),
      ['INSERT INTO t VALUES(42)'],
    );
    assert.equal(command.transaction, false);
  });

  void test('batches several requests into one execute, in order', async () => {
    node.store.calls.length = 0;
    const answers = [];
    for (const value of [1, 2, 3, 4]) {
      answers.push(
        await send(node.port, 'POST', '/db/execute?queue', `[["INSERT INTO t VALUES(?)", ${value}]]`, json),
      );
    }
    const numbers = answers.map((answer) => sequenceNumberOf(answer.text()));
    assert.deepEqual(
      numbers,
      [0n, 1n, 2n, 3n].map((offset) => nextSequence + offset),
    );
    nextSequence += 4n;
    await pollUntil(() => node.store.calls.length >= 1);
    assert.equal(node.store.calls.length, 1);
    assert.deepEqual(
      node.store.calls[0]?.statements.map((s) => s.positional[0]),
      [1n, 2n, 3n, 4n],
    );
  });

  void test('wait answers after the batch ran; pretty and timings shape the envelope', async () => {
    node.store.calls.length = 0;
    const response = await send(
      node.port,
      'POST',
      '/db/execute?queue&wait&pretty',
      '["INSERT INTO t VALUES(1)"]',
      json,
    );
    assert.equal(response.status, 200);
    assert.equal(response.text(), `{\n    "results": [],\n    "sequence_number": ${nextSequence}\n}`);
    nextSequence++;
    // The answer came after the store executed the batch, not before.
    assert.equal(node.store.calls.length, 1);
  });

  void test('an empty body or [] with wait is a barrier; [] without wait is refused', async () => {
    let finish: () => void = () => undefined;
    node.store.calls.length = 0;
    node.store.responder = (call) =>
      new Promise((resolve) => {
        finish = () => resolve({ results: call.statements.map(() => write(1n, 1n)) });
      });
    await send(node.port, 'POST', '/db/execute?queue', '["INSERT INTO t VALUES(1)"]', json);
    nextSequence++;
    const barrier = send(node.port, 'POST', '/db/execute?queue&wait', '', json);
    await pollUntil(() => node.store.calls.length === 1);
    let answered = false;
    void barrier.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(answered, false, 'the barrier must wait for the write queued before it');
    finish();
    const response = await barrier;
    assert.equal(response.status, 200);
    assert.equal(sequenceNumberOf(response.text()), nextSequence++);
    node.store.responder = (call) => ({ results: call.statements.map(() => write(1n, 1n)) });
    const bracketBarrier = await send(node.port, 'POST', '/db/execute?queue&wait', '[]', json);
    assert.equal(bracketBarrier.status, 200);
    nextSequence++;
    const refused = await send(node.port, 'POST', '/db/execute?queue', '[]', json);
    assert.equal(refused.status, 400);
    assert.equal(refused.text(), 'no statements\n');
    const broken = await send(node.port, 'POST', '/db/execute?queue', '["INSERT', json);
    assert.equal(broken.status, 400);
    assert.equal(broken.text(), 'invalid JSON body\n');
  });

  void test('wait gives up with 408 after timeout; the write still runs later', async () => {
    let finish: () => void = () => undefined;
    node.store.responder = (call) =>
      new Promise((resolve) => {
        finish = () => resolve({ results: call.statements.map(() => write(1n, 1n)) });
      });
    const response = await send(
      node.port,
      'POST',
      '/db/execute?queue&wait&timeout=150ms',
      '["INSERT INTO t VALUES(1)"]',
      json,
    );
    nextSequence++;
    assert.equal(response.status, 408);
    assert.equal(response.text(), 'queue wait timeout\n');
    finish();
  });

  void test('without a known leader: 503, unless noleader', async () => {
    node.status.leader_ = undefined;
    const refused = await send(node.port, 'POST', '/db/execute?queue', '["INSERT INTO t VALUES(1)"]', json);
    assert.equal(refused.status, 503);
    assert.equal(refused.text(), 'leader not found\n');
    const accepted = await send(
      node.port,
      'POST',
      '/db/execute?queue&noleader',
      '["INSERT INTO t VALUES(1)"]',
      json,
    );
    assert.equal(accepted.status, 200);
    assert.equal(sequenceNumberOf(accepted.text()), nextSequence++);
  });

  void test('a disallowed PRAGMA is refused before anything is queued', async () => {
    const response = await send(
      node.port,
      'POST',
      '/db/execute?queue',
      '["PRAGMA journal_mode=DELETE"]',
      json,
    );
    assert.equal(response.status, 200);
    assert.equal(response.text(), '{"results":[],"error":"disallowed pragma"}');
  });

  void test('queue is ignored on /db/request and /db/query, as rqlite does', async () => {
    // Earlier tests' queued writes run first (a barrier), so that only this test's calls are counted.
    await send(node.port, 'POST', '/db/execute?queue&wait', '', json);
    nextSequence++;
    node.store.calls.length = 0;
    const request = await send(node.port, 'POST', '/db/request?queue', '["INSERT INTO t VALUES(1)"]', json);
    assert.equal(request.text(), '{"results":[{"last_insert_id":1,"rows_affected":1}]}');
    const query = await send(node.port, 'POST', '/db/query?queue', '["SELECT 1"]', json);
    assert.equal(query.status, 200);
    assert.deepEqual(
      node.store.calls.map((call) => call.operation),
      ['request', 'query'],
    );
  });

  void test('/status and /debug/vars report the queue; statement errors are counted', async () => {
    // Earlier writes run first (a barrier), so that the failing batch holds only this test's write.
    await send(node.port, 'POST', '/db/execute?queue&wait', '', json);
    nextSequence++;
    node.store.responder = (call) => ({
      results: call.statements.map(() => failed('UNIQUE constraint failed: t.id')),
    });
    const response = await send(
      node.port,
      'POST',
      '/db/execute?queue&wait',
      '["INSERT INTO t VALUES(1)"]',
      json,
    );
    const last = sequenceNumberOf(response.text());
    nextSequence++;
    const status = await send(node.port, 'GET', '/status');
    const text = status.text();
    // The sequence number is written exactly, past what a float64 holds.
    assert.match(text, new RegExp(`"sequence_number":${last}[,}]`));
    const queue = (JSON.parse(text) as { http: { queue: { _default: Record<string, unknown> } } }).http.queue
      ._default;
    assert.equal(queue['batch_size'], 4);
    assert.equal(queue['max_size'], 1024);
    assert.equal(queue['timeout'], '500ms');
    assert.equal(queue['statement_errors'], 1);
    assert.equal(queue['dropped_batches'], 0);
    assert.match(String(queue['last_error']), /UNIQUE constraint failed/);
    const vars = (await send(node.port, 'GET', '/debug/vars')).text();
    assert.match(vars, /"queued_executions": \d+/);
    assert.match(vars, /"queued_executions_wait": [1-9]/);
    assert.match(
      vars,
      /"queue": \{"num_flush": 0, "num_size": \d+, "num_timeout": \d+, "objects_rx": \d+, "objects_tx": \d+\}/,
    );
  });
});

void describe('queued writes on a follower', () => {
  let node: FakeNode;
  const forwarded: StatementsCommand[] = [];
  const proxy: LeaderProxy = {
    ...noLeaderElsewhere,
    execute: (command) => {
      forwarded.push(command);
      return Promise.resolve({
        value: { results: command.statements.map(() => write(1n, 1n)) },
        servedBy: '127.0.0.1:4003',
      });
    },
  };
  before(async () => {
    node = await startFakeNode({ writeQueue: { timeoutMs: 10, transaction: true } }, proxy);
    node.store.responder = () => {
      throw new NotLeaderError({ address: '127.0.0.1:4004', apiUrl: 'http://127.0.0.1:4003' });
    };
  });
  after(() => node.close());

  void test('batches go to the leader through the proxy a plain execute uses', async () => {
    const response = await send(
      node.port,
      'POST',
      '/db/execute?queue&wait',
      '["INSERT INTO t VALUES(1)", "INSERT INTO t VALUES(2)"]',
      json,
    );
    assert.equal(response.status, 200);
    assert.equal(forwarded.length, 1);
    assert.equal(forwarded[0]?.transaction, true);
    assert.equal(forwarded[0]?.statements.length, 2);
    const vars = (await send(node.port, 'GET', '/debug/vars')).text();
    assert.match(vars, /"remote_executions": 1/);
  });
});

void describe('a queued batch that cannot be executed', () => {
  void test('is reported to a waiting client and in /status', async () => {
    const node = await startFakeNode({
      writeQueue: { timeoutMs: 10, retryWindowMs: 200, retryDelayFirstMs: 20, retryDelayMaxMs: 40 },
    });
    try {
      node.store.responder = () => {
        throw new LeaderNotFoundError();
      };
      const response = await send(
        node.port,
        'POST',
        '/db/execute?queue&wait',
        '["INSERT INTO t VALUES(1)"]',
        json,
      );
      assert.equal(response.status, 200);
      const sequence = sequenceNumberOf(response.text());
      assert.match(
        response.text(),
        new RegExp(
          `"error":"queued writes lost: batch of sequence number ${sequence} \\(1 requests, 1 statements\\) dropped because they still failed after \\d+ attempts: leader not found"`,
        ),
      );
      assert.ok(node.store.calls.length > 1, 'the batch was retried before it was dropped');
      const queue = JSON.parse(
        (await send(node.port, 'GET', '/status?key=http.queue._default')).text(),
      ) as Record<string, unknown>;
      assert.equal(queue['dropped_batches'], 1);
      assert.equal(queue['dropped_requests'], 1);
      assert.equal(queue['sequence_number'], 0);
    } finally {
      await node.close();
    }
  });
});
