// Queued writes (`POST /db/execute?queue`) against real server processes: immediate answers with exact
// sequence numbers, batches that become rows, `wait` and its timeout, the flush barrier, /status, a write
// queued on a follower of a three-node cluster, and (dustd only) failed statements reported in /status and
// the log, and queued writes executed by a clean stop. Runs against rqlited with DUST_E2E_SERVER=rqlited;
// there the checks of Dust's own failure reporting and shutdown flush are skipped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Cluster, type ClusterNode } from './cluster/cluster-harness.js';
import { pollUntil } from './cluster/polling.js';
import { clusterSkipReason, serverFromEnvironment } from './cluster/server-binary.js';
import { runDustd } from './harness.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const dustOnly = server === 'dustd' ? false : 'Dust reports queued-write failures and flushes on SIGTERM';
const requestTimeoutMs = 15_000;

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** One request with a raw body (an empty body is how a barrier is sent), within a deadline. */
async function post(node: ClusterNode, pathAndQuery: string, body: string): Promise<Answer> {
  const response = await fetch(`${node.apiUrl}${pathAndQuery}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  return { status: response.status, text: await response.text() };
}

async function get(node: ClusterNode, pathAndQuery: string): Promise<Answer> {
  const response = await fetch(`${node.apiUrl}${pathAndQuery}`, {
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  return { status: response.status, text: await response.text() };
}

/** The sequence number of a queued answer, read from the text: it is past 2^53, so JSON.parse would round it. */
function sequenceNumberOf(answer: Answer): bigint {
  const match = /^\{"results":\[\],"sequence_number":(\d+)\}$/.exec(answer.text);
  assert.ok(match !== null, `not a queued answer: HTTP ${answer.status} ${answer.text}`);
  return BigInt(match[1] ?? '');
}

async function count(node: ClusterNode, table: string, level = 'strong'): Promise<number> {
  const answer = await post(
    node,
    `/db/query?level=${level}`,
    JSON.stringify([`SELECT COUNT(*) FROM ${table}`]),
  );
  const parsed = JSON.parse(answer.text) as { results: { values?: number[][] }[] };
  return parsed.results[0]?.values?.[0]?.[0] ?? -1;
}

async function createTable(node: ClusterNode, table: string): Promise<void> {
  const answer = await post(
    node,
    '/db/execute',
    JSON.stringify([`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, v TEXT)`]),
  );
  assert.equal(answer.text, '{"results":[{}]}');
}

describe(`queued writes on one ${server} node`, { skip: skipReason ?? false, timeout: 120_000 }, () => {
  let cluster: Cluster | undefined;
  let node: ClusterNode;

  before(async () => {
    cluster = await Cluster.start({
      size: 1,
      server,
      flags: ['-write-queue-timeout', '300ms', '-write-queue-batch-size', '16'],
    });
    node = cluster.node('1');
    await createTable(node, 'q');
  });
  after(async () => {
    await cluster?.cleanup();
  });

  it('answers at once with consecutive sequence numbers; a barrier waits for the rows', async () => {
    const numbers: bigint[] = [];
    for (const value of ['a', 'b', 'c']) {
      const answer = await post(
        node,
        '/db/execute?queue',
        JSON.stringify([['INSERT INTO q(v) VALUES(?)', value]]),
      );
      assert.equal(answer.status, 200);
      numbers.push(sequenceNumberOf(answer));
    }
    const [first] = numbers;
    assert.ok(
      first !== undefined && first > 2n ** 53n,
      `sequence numbers start at the start time in ns: ${first}`,
    );
    assert.deepEqual(numbers, [first, first + 1n, first + 2n]);

    const barrier = await post(node, '/db/execute?queue&wait', '');
    assert.equal(barrier.status, 200);
    assert.equal(sequenceNumberOf(barrier), first + 3n);
    assert.equal(await count(node, 'q'), 3);

    // /status: rqlite's keys under http.queue._default, the sequence number written exactly.
    const status = await get(node, '/status');
    const executed = /"queue":\{"_default":\{[^}]*"sequence_number":(\d+)/.exec(status.text);
    assert.ok(executed !== null, 'http.queue._default.sequence_number in /status');
    assert.ok(BigInt(executed[1] ?? '0') >= first + 2n);
    const queue = JSON.parse((await get(node, '/status?key=http.queue._default')).text) as Record<
      string,
      unknown
    >;
    assert.equal(queue['batch_size'], 16);
    assert.equal(queue['max_size'], 1024);
    assert.equal(queue['timeout'], '300ms');
  });

  it('wait answers once the write is in the database; a short timeout gets 408', async () => {
    const before = await count(node, 'q');
    const waited = await post(
      node,
      '/db/execute?queue&wait',
      JSON.stringify(['INSERT INTO q(v) VALUES("w")']),
    );
    assert.equal(waited.status, 200);
    sequenceNumberOf(waited);
    assert.equal(await count(node, 'q', 'weak'), before + 1);

    const late = await post(
      node,
      '/db/execute?queue&wait&timeout=50ms',
      JSON.stringify(['INSERT INTO q(v) VALUES("t")']),
    );
    assert.equal(late.status, 408);
    // rqlited 8.26 says "timeout"; current rqlite, and Dust, "queue wait timeout".
    assert.match(late.text, server === 'dustd' ? /^queue wait timeout\n$/ : /timeout\n$/);
    // The write was accepted all the same and lands with its batch.
    await pollUntil(async () => ((await count(node, 'q', 'weak')) === before + 2 ? true : undefined), {
      timeoutMs: 10_000,
      onTimeout: () => new Error('the write whose wait timed out never landed'),
    });
  });

  it('queue is ignored on /db/request: the statements run at once', async () => {
    const answer = await post(node, '/db/request?queue', JSON.stringify(['INSERT INTO q(v) VALUES("r")']));
    assert.equal(answer.status, 200);
    assert.match(answer.text, /^\{"results":\[\{"last_insert_id":\d+,"rows_affected":1\}\]\}$/);
  });

  it('a statement failing inside a batch is counted in /status and logged', { skip: dustOnly }, async () => {
    const answer = await post(
      node,
      '/db/execute?queue&wait',
      JSON.stringify(['INSERT INTO missing VALUES(1)']),
    );
    assert.equal(answer.status, 200);
    const queue = JSON.parse((await get(node, '/status?key=http.queue._default')).text) as Record<
      string,
      unknown
    >;
    assert.equal(queue['statement_errors'], 1);
    assert.equal(queue['dropped_batches'], 0);
    assert.match(String(queue['last_error']), /no such table: missing/);
    assert.match(node.output, /statements failed; the first: no such table: missing/);
    const vars = await get(node, '/debug/vars');
    assert.match(vars.text, /"queued_executions_statement_errors": 1/);
  });
});

describe(
  `a clean stop of ${server} executes queued writes`,
  { skip: skipReason ?? dustOnly, timeout: 120_000 },
  () => {
    it('writes queued with a long batch timeout are in the database after SIGTERM and a restart', async () => {
      const cluster = await Cluster.start({ size: 1, server, flags: ['-write-queue-timeout', '1m'] });
      try {
        const node = cluster.node('1');
        await createTable(node, 'flushed');
        for (let i = 0; i < 5; i++) {
          sequenceNumberOf(
            await post(
              node,
              '/db/execute?queue',
              JSON.stringify([['INSERT INTO flushed(v) VALUES(?)', `v${i}`]]),
            ),
          );
        }
        const exit = await cluster.kill(node, 'SIGTERM');
        assert.equal(exit.code, 0, `a clean stop exits 0: ${JSON.stringify(exit)}`);
        await cluster.restart(node);
        // A node that has just elected itself may refuse a strong read for a moment (not ready yet).
        const counted = await pollUntil(
          async () => {
            const rows = await count(node, 'flushed');
            return rows >= 0 ? rows : undefined;
          },
          { timeoutMs: 10_000, onTimeout: () => new Error('the restarted node never answered the count') },
        );
        assert.equal(counted, 5);
      } finally {
        await cluster.cleanup();
      }
    });
  },
);

describe(
  `a queued write sent to a ${server} follower`,
  { skip: skipReason ?? false, timeout: 120_000 },
  () => {
    it('is forwarded in its batch to the leader and replicated', async () => {
      const cluster = await Cluster.start({ size: 3, server, flags: ['-write-queue-timeout', '100ms'] });
      try {
        const leader = await cluster.leader();
        await createTable(leader, 'f');
        const [follower] = await cluster.followers();
        assert.ok(follower !== undefined);
        const queued = await post(
          follower,
          '/db/execute?queue',
          JSON.stringify([['INSERT INTO f(v) VALUES(?)', 'one']]),
        );
        sequenceNumberOf(queued);
        const waited = await post(
          follower,
          '/db/execute?queue&wait',
          JSON.stringify([['INSERT INTO f(v) VALUES(?)', 'two']]),
        );
        assert.equal(waited.status, 200);
        assert.equal(sequenceNumberOf(waited), sequenceNumberOf(queued) + 1n);
        assert.equal(await count(leader, 'f'), 2);
        // The follower's own /status counts the batch it sent.
        const executed = /"queue":\{"_default":\{[^}]*"sequence_number":(\d+)/.exec(
          (await get(follower, '/status')).text,
        );
        assert.equal(BigInt(executed?.[1] ?? '0'), sequenceNumberOf(waited));
      } finally {
        await cluster.cleanup();
      }
    });
  },
);

describe('the -write-queue-* flags', { skip: dustOnly, timeout: 60_000 }, () => {
  it('refuse a capacity or batch size under 1 and a timeout that is not positive', async () => {
    const refusals: [string[], RegExp][] = [
      [['-write-queue-capacity', '0'], /-write-queue-capacity: must be at least 1/],
      [['-write-queue-batch-size', '0'], /-write-queue-batch-size: must be at least 1/],
      [['-write-queue-timeout', '0s'], /-write-queue-timeout: must be a positive duration/],
    ];
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dust-queue-flags-'));
    try {
      for (const [flags, message] of refusals) {
        const { code, stderr } = await runDustd([...flags, dataDir]);
        assert.equal(code, 2, `${flags.join(' ')}: exit status`);
        assert.match(stderr, message);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
