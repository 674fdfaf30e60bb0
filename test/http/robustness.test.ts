// Nothing a client sends may crash the node or leak work: limits are enforced before memory is spent,
// clients that go away are let go, and every input gets an answer from the expected set.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import { send, startFakeNode, write, type FakeNode } from './fake-node.js';

/** Writes raw bytes on a new connection and returns what comes back before the server closes it (bounded). */
function exchangeRaw(port: number, payload: string | Buffer, waitMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(error);
    });
    socket.write(payload);
  });
}

void describe('limits', () => {
  let node: FakeNode;
  before(async () => {
    node = await startFakeNode({ bodyBytesMax: 1024, statementsMax: 3 });
  });
  after(() => node.close());

  void test('a declared body over the limit is refused with 413 before it is read, and the connection closes', async () => {
    const answer = await exchangeRaw(
      node.port,
      'POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n["SELECT 1"',
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.match(answer, /request body too large: the limit is 1024 bytes\n$/);
    assert.equal(node.store.calls.length, 0);
  });

  void test('a chunked body that grows over the limit is refused with 413', async () => {
    const chunk = `${'a'.repeat(600).length.toString(16)}\r\n${'a'.repeat(600)}\r\n`;
    const answer = await exchangeRaw(
      node.port,
      `POST /db/execute HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}${chunk}0\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.equal(node.store.calls.length, 0);
  });

  void test('a client expecting 100 Continue is refused at once when its body is over the limit', async () => {
    const answer = await exchangeRaw(
      node.port,
      'POST /db/execute HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(answer, /100 Continue/);
  });

  void test('a client expecting 100 Continue is invited when its body is within the limit', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(node.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.includes('100 Continue') && !received.includes('200 OK')) socket.write('["SELECT 1"]');
        if (received.includes('{"results"')) socket.end();
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.setTimeout(5_000, () => socket.destroy());
      socket.write(
        'POST /db/execute HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 12\r\n\r\n',
      );
    });
    assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  void test('a body at the limit is accepted', async () => {
    const body = `["${'x'.repeat(1020)}"]`;
    assert.equal(body.length, 1024);
    const response = await send(node.port, 'POST', '/db/execute', body, {
      'Content-Type': 'application/json',
    });
    assert.equal(response.status, 200);
  });

  void test('more statements than allowed is refused with 413', async () => {
    const response = await send(node.port, 'POST', '/db/execute', '["a","b","c","d"]', {
      'Content-Type': 'application/json',
    });
    assert.equal(response.status, 413);
    assert.equal(response.text(), 'too many statements in one request: the limit is 3; split the request\n');
  });

  void test('a limit that is not a positive integer is refused at start', async () => {
    await assert.rejects(
      async () => startFakeNode({ bodyBytesMax: 0 }),
      /bodyBytesMax must be a positive integer/,
    );
  });
});

void describe('clients that go away', () => {
  let node: FakeNode;
  before(async () => {
    node = await startFakeNode();
  });
  after(() => node.close());

  void test('a client that disconnects mid-body: nothing reaches the store and nothing is reported', async () => {
    const calls = node.store.calls.length;
    await new Promise<void>((resolve) => {
      const socket = net.connect(node.port, '127.0.0.1', () => {
        socket.write('POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n["SELECT');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    // Give the server a moment to notice; then it must still answer others.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(node.store.calls.length, calls);
    assert.equal((await send(node.port, 'GET', '/readyz?noleader')).status, 200);
    assert.deepEqual(node.internalErrors, []);
  });

  void test('a client that disconnects while the store works: the store sees its signal aborted', async () => {
    let aborted: Promise<void> | undefined;
    let started: () => void = () => undefined;
    const working = new Promise<void>((resolve) => {
      started = resolve;
    });
    node.store.responder = (call) =>
      new Promise((resolve) => {
        aborted = new Promise((resolveAborted) =>
          call.options.signal.addEventListener('abort', () => {
            resolveAborted();
            resolve({ results: [write(0n, 0n)] });
          }),
        );
        started();
      });
    const socket = net.connect(node.port, '127.0.0.1', () => {
      socket.write('POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n["SELECT 1"]');
    });
    socket.on('error', () => undefined);
    await working;
    socket.destroy();
    await Promise.race([
      aborted,
      new Promise((_resolve, reject) =>
        setTimeout(() => reject(new Error('signal not aborted within 5 s')), 5_000),
      ),
    ]);
    node.store.responder = (call) => ({ results: call.statements.map(() => write(0n, 0n)) });
    assert.deepEqual(node.internalErrors, []);
  });
});

void describe('whatever a client sends, the node answers and stays up', () => {
  let node: FakeNode;
  before(async () => {
    node = await startFakeNode({ bodyBytesMax: 4096 });
  });
  after(() => node.close());

  void test('random bodies to the data endpoints get 200, 400 or 413, never 500', async () => {
    const paths = ['/db/execute', '/db/query', '/db/request', '/db/sql', '/remove', '/leader'];
    const body = fc.oneof(
      fc.json(),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc
        .array(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.jsonValue())), { maxLength: 4 })
        .map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), body, fc.boolean(), async (path, payload, plainText) => {
        const method = path === '/remove' ? 'DELETE' : 'POST';
        const contentType = plainText ? 'text/plain' : 'application/json';
        const response = await send(node.port, method, path, payload, { 'Content-Type': contentType });
        assert.ok([200, 400, 413].includes(response.status), `${response.status} ${response.text()}`);
      }),
      { numRuns: 300 },
    );
    assert.deepEqual(node.internalErrors, []);
  });

  void test('random query strings get 200, 400 or 404, never 500', async () => {
    const query = fc.array(
      fc.tuple(
        fc.constantFrom(
          'q',
          'timeout',
          'db_timeout',
          'freshness',
          'freshness_strict',
          'level',
          'retries',
          'pretty',
          'key',
          'x',
          '%',
          ';',
        ),
        fc.string({ maxLength: 12 }),
      ),
      { maxLength: 5 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/db/query', '/status', '/nodes', '/nope'),
        query,
        async (path, pairs) => {
          const raw = pairs
            .map(([key, value]) => `${key}=${encodeURIComponent(value).replace(/%25/g, '%')}`)
            .join('&');
          const response = await send(node.port, 'GET', `${path}?${raw}`);
          assert.ok(
            [200, 400, 404].includes(response.status),
            `${path}?${raw}: ${response.status} ${response.text()}`,
          );
        },
      ),
      { numRuns: 300 },
    );
    assert.deepEqual(node.internalErrors, []);
  });

  void test('malformed HTTP gets a 400 from the parser and the connection closes', async () => {
    const answer = await exchangeRaw(node.port, 'GARBAGE\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal((await send(node.port, 'GET', '/readyz?noleader')).status, 200);
  });

  void test('long GET queries up to the header limit are read', async () => {
    const sql = `SELECT '${'x'.repeat(200_000)}'`;
    const response = await send(node.port, 'GET', `/db/query?q=${encodeURIComponent(sql)}`);
    assert.equal(response.status, 200);
    assert.equal(node.store.calls.at(-1)?.statements[0]?.sql, sql);
  });
});

void describe('closing', () => {
  void test('close() waits for requests in flight only as long as its grace period', async () => {
    const node = await startFakeNode();
    let started: () => void = () => undefined;
    const working = new Promise<void>((resolve) => {
      started = resolve;
    });
    node.store.responder = () =>
      new Promise(() => {
        started();
      });
    const pending = send(node.port, 'POST', '/db/execute', '["SELECT 1"]', {
      'Content-Type': 'application/json',
    }).then(
      () => 'answered',
      () => 'cut',
    );
    await working;
    const closedAt = Date.now();
    await node.api.close({ graceMs: 100 });
    assert.ok(Date.now() - closedAt < 5_000, 'close() returned within its bound');
    assert.equal(await pending, 'cut');
  });
});
