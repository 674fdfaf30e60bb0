import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { percentile, summarizeLatencies } from '../../bench/latency.js';
import { describeRequest, emptyTally, mergeTallies, runLoad } from '../../bench/loadgen.js';
import { checkResponse } from '../../bench/response-check.js';

describe('percentile', () => {
  it('takes the nearest rank: the smallest value with at least that fraction at or below it', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.99), 99);
    assert.equal(percentile(values, 1), 100);
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile([7, 9], 0.5), 7);
    assert.equal(percentile([7, 9], 0.51), 9);
  });

  it('has no answer for no values and refuses a fraction outside 0..1', () => {
    assert.equal(percentile([], 0.5), undefined);
    assert.throws(() => percentile([1], 1.5), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
  });

  it('summarizes samples given in any order', () => {
    const summary = summarizeLatencies([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    assert.deepEqual(summary, { count: 10, p50Ms: 5, p99Ms: 10, maxMs: 10 });
    assert.deepEqual(summarizeLatencies([]), {
      count: 0,
      p50Ms: undefined,
      p99Ms: undefined,
      maxMs: undefined,
    });
  });
});

describe('checkResponse', () => {
  const insert = { kind: 'execute', statements: 1 } as const;
  const read = { kind: 'single-row', value: 'v1' } as const;

  it('accepts the answers the requests expect', () => {
    assert.equal(
      checkResponse(insert, 200, '{"results":[{"last_insert_id":3,"rows_affected":1}]}'),
      undefined,
    );
    assert.equal(
      checkResponse(read, 200, '{"results":[{"columns":["v"],"types":["text"],"values":[["v1"]]}]}'),
      undefined,
    );
    assert.equal(checkResponse({ kind: 'no-errors', statements: 2 }, 200, '{"results":[{},{}]}'), undefined);
  });

  it('fails a 200 that carries an error, at the top or in a statement', () => {
    assert.match(
      checkResponse(insert, 200, '{"results":[],"error":"leader not found"}') ?? '',
      /leader not found/,
    );
    assert.match(
      checkResponse(insert, 200, '{"results":[{"error":"no such table: t"}]}') ?? '',
      /no such table/,
    );
    assert.match(checkResponse(read, 200, '{"results":[{"error":"database is locked"}]}') ?? '', /locked/);
  });

  it('fails other statuses, bodies that are not JSON, and answers of the wrong shape', () => {
    assert.match(checkResponse(insert, 503, 'leader not found') ?? '', /^HTTP 503/);
    assert.match(checkResponse(insert, 200, 'ok') ?? '', /not JSON/);
    assert.match(checkResponse(insert, 200, '[]') ?? '', /not a JSON object/);
    assert.match(checkResponse(insert, 200, '{"rows":[]}') ?? '', /no "results"/);
    assert.match(checkResponse(insert, 200, '{"results":[{},{}]}') ?? '', /expected 1 results, got 2/);
    assert.match(checkResponse(insert, 200, '{"results":[{"rows_affected":0}]}') ?? '', /changed 0 rows/);
  });

  it('fails a read that finds no row or the wrong value', () => {
    assert.match(
      checkResponse(read, 200, '{"results":[{"columns":["v"],"types":["text"]}]}') ?? '',
      /got none/,
    );
    assert.match(checkResponse(read, 200, '{"results":[{"values":[["v2"]]}]}') ?? '', /"v2"/);
    assert.match(checkResponse(read, 200, '{"results":[{"values":[["v1"],["v1"]]}]}') ?? '', /got 2/);
  });

  it('does not mistake the word error inside a value for a failure', () => {
    const body = '{"results":[{"columns":["v"],"types":["text"],"values":[["error"]]}]}';
    assert.equal(checkResponse({ kind: 'single-row', value: 'error' }, 200, body), undefined);
  });
});

describe('tallies', () => {
  it('adds counts, windows and samples, keeping only the first few failures', () => {
    const failure = { request: 'POST /db/execute', reason: 'HTTP 500' };
    const first = {
      ...emptyTally,
      succeeded: 3,
      failed: 2,
      seconds: 1,
      latenciesMs: [1, 2, 3],
      failureSamples: [failure, failure],
    };
    const second = {
      ...emptyTally,
      succeeded: 1,
      failed: 2,
      seconds: 0.5,
      latenciesMs: [4],
      abandoned: 1,
      failureSamples: [failure, failure],
    };
    const merged = mergeTallies(first, second);
    assert.equal(merged.succeeded, 4);
    assert.equal(merged.failed, 4);
    assert.equal(merged.seconds, 1.5);
    assert.equal(merged.abandoned, 1);
    assert.deepEqual(merged.latenciesMs, [1, 2, 3, 4]);
    assert.equal(merged.failureSamples.length, 3);
  });

  it('quotes a request with its body cut short', () => {
    assert.equal(describeRequest({ method: 'GET', path: '/status' }), 'GET /status');
    const long = describeRequest({ method: 'POST', path: '/db/execute', body: 'x'.repeat(1000) });
    assert.ok(long.startsWith('POST /db/execute xxx') && long.endsWith('…') && long.length < 300);
  });
});

describe('runLoad', () => {
  it('counts right answers and failures from a real server, within its time bound', async () => {
    // Every third request is answered with an error inside a 200, as rqlite-style servers do.
    let answered = 0;
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        answered++;
        response.setHeader('content-type', 'application/json');
        response.end(
          answered % 3 === 0 ? '{"results":[],"error":"not leader"}' : '{"results":[{"rows_affected":1}]}',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const startedAt = performance.now();
      const tally = await runLoad({
        target: { host: '127.0.0.1', port },
        clients: 4,
        warmupMs: 0,
        durationMs: 2000,
        requestsMax: 90,
        requestTimeoutMs: 2000,
        request: () => ({
          method: 'POST',
          path: '/db/execute',
          body: '[]',
          expectation: { kind: 'execute', statements: 1 },
        }),
      });
      assert.ok(performance.now() - startedAt < 5000, 'the load ended long after its bounds');
      assert.equal(answered, 90, 'requestsMax bounds the requests sent');
      assert.equal(tally.failed, 30);
      assert.equal(tally.succeeded, 60);
      assert.equal(tally.latenciesMs.length, 60);
      assert.equal(tally.abandoned, 0);
      assert.ok(tally.seconds > 0 && tally.seconds <= 2);
      assert.match(tally.failureSamples[0]?.reason ?? '', /not leader/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('counts a server that is not there as failures and still stops', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const tally = await runLoad({
      target: { host: '127.0.0.1', port },
      clients: 2,
      warmupMs: 0,
      durationMs: 200,
      requestsMax: 1000,
      requestTimeoutMs: 1000,
      request: () => ({ method: 'GET', path: '/', expectation: { kind: 'no-errors', statements: 0 } }),
    });
    assert.equal(tally.succeeded, 0);
    assert.ok(tally.failed > 0);
    assert.match(tally.failureSamples[0]?.reason ?? '', /ECONNREFUSED/);
  });
});
