// The fault proxy between plain loopback peers: forwarding, each fault, its bounds, and a clean close.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { test, type TestContext } from 'node:test';

import { FaultClosedError, FaultConfigError } from './errors.js';
import {
  connectTo,
  patternBytes,
  type RecordedSocket,
  RecordingServer,
  seededRandom,
  sleep,
  waitFor,
} from './loopback-peers.js';
import { FaultProxy, type FaultProxyOptions } from './tcp-proxy.js';

/** How long a test watches for bytes that must not arrive. Long enough for loopback, short enough for CI. */
const quietMs = 250;

async function setUp(
  t: TestContext,
  serverOptions: { readonly echo?: boolean; readonly greeting?: string } = { echo: true },
  proxyOptions: FaultProxyOptions = {},
): Promise<{ server: RecordingServer; proxy: FaultProxy }> {
  const server = await RecordingServer.start(serverOptions);
  const proxy = await FaultProxy.start({ target: server.address, ...proxyOptions });
  t.after(async () => {
    await proxy.close();
    await server.close();
  });
  return { server, proxy };
}

async function client(t: TestContext, proxy: FaultProxy): Promise<RecordedSocket> {
  const peer = await connectTo(proxy.address);
  t.after(() => peer.socket.destroy());
  return peer;
}

/**
 * Connects and reports how the connection was ended. A reset right after accept may reach the client before or
 * after its connect completes, so both a failed connect and a reset after it count.
 */
async function resetOnArrival(t: TestContext, proxy: FaultProxy): Promise<string | null> {
  let peer: RecordedSocket;
  try {
    peer = await client(t, proxy);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? null;
  }
  await waitFor('the new connection to be reset', () => peer.closed);
  return peer.errorCode;
}

/** Whether the socket's write buffer drains within `timeoutMs`; leaves no timer or listener behind. */
function drainedWithin(peer: RecordedSocket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      peer.socket.off('drain', onDrain);
      resolve(false);
    }, timeoutMs);
    peer.socket.once('drain', onDrain);
  });
}

test('forwards bytes both ways, in order, and carries a half-close through', async (t) => {
  const { server, proxy } = await setUp(t);
  const peer = await client(t, proxy);
  const payload = randomBytes(1024 * 1024);
  for (let offset = 0; offset < payload.length; offset += 50_000)
    peer.socket.write(payload.subarray(offset, offset + 50_000));
  peer.socket.end();
  await waitFor(
    'the whole echo and the end of stream',
    () => peer.ended && peer.receivedBytes >= payload.length,
  );
  assert.ok(peer.received().equals(payload), 'the echo differs from what was sent');
  assert.equal(server.accepted.length, 1);
  const stats = proxy.stats();
  assert.equal(stats.connectionsAccepted, 1);
  assert.equal(stats.upstream.deliveredBytes, payload.length);
  assert.equal(stats.downstream.deliveredBytes, payload.length);
  assert.equal(stats.upstream.bufferedBytes, 0);
  await waitFor('the connection to finish', () => proxy.stats().connectionsOpen === 0);
});

test('drop mode resets open connections and refuses new ones until unblocked', async (t) => {
  const { server, proxy } = await setUp(t);
  const before = await client(t, proxy);
  before.socket.write('ping');
  await waitFor('the first echo', () => before.text() === 'ping');

  proxy.block({ mode: 'drop' });
  await waitFor('the open connection to be reset', () => before.closed);
  assert.equal(before.errorCode, 'ECONNRESET');
  await waitFor('the target side to be reset too', () => server.accepted[0]!.closed);

  assert.equal(await resetOnArrival(t, proxy), 'ECONNRESET');
  assert.equal(server.accepted.length, 1, 'a refused connection must not reach the target');
  assert.equal(proxy.stats().connectionsRefused, 1);

  proxy.unblock();
  const after = await client(t, proxy);
  after.socket.write('pong');
  await waitFor('an echo after unblocking', () => after.text() === 'pong');
});

test('blackhole mode freezes open connections without closing them, then delivers what it held in order', async (t) => {
  const { server, proxy } = await setUp(t);
  const peer = await client(t, proxy);
  peer.socket.write('before;');
  await waitFor('the first echo', () => peer.text() === 'before;');

  proxy.block({ mode: 'blackhole' });
  peer.socket.write('during-1;');
  peer.socket.write('during-2;');
  await sleep(quietMs);
  assert.equal(peer.text(), 'before;', 'nothing may come back through a black hole');
  assert.equal(server.accepted[0]!.text(), 'before;', 'nothing may reach the target through a black hole');
  assert.equal(peer.closed, false);
  assert.equal(server.accepted[0]!.closed, false);
  assert.equal(proxy.stats().upstream.bufferedBytes, 'during-1;during-2;'.length);

  proxy.unblock();
  await waitFor('the held bytes', () => peer.text() === 'before;during-1;during-2;');
  assert.equal(server.accepted.length, 1);
});

test('blackhole mode holds new connections away from the target until unblocked', async (t) => {
  const { server, proxy } = await setUp(t);
  proxy.block();
  const peer = await client(t, proxy);
  peer.socket.write('knock');
  await sleep(quietMs);
  assert.equal(server.accepted.length, 0, 'a held connection must not reach the target');
  assert.equal(proxy.stats().connectionsPending, 1);
  assert.equal(peer.closed, false);

  proxy.unblock();
  await waitFor('the held connection to be echoed', () => peer.text() === 'knock');
  assert.equal(server.accepted.length, 1);
  assert.equal(proxy.stats().connectionsPending, 0);
});

test('a one-way block holds one direction while the other keeps flowing', async (t) => {
  const { server, proxy } = await setUp(t, { echo: false });
  const peer = await client(t, proxy);
  await waitFor('the target to accept', () => server.accepted.length === 1);
  const target = server.accepted[0]!;

  proxy.blockDirection('upstream');
  peer.socket.write('to-target;');
  target.socket.write('to-client;');
  await waitFor('the open direction', () => peer.text() === 'to-client;');
  await sleep(quietMs);
  assert.equal(target.text(), '', 'the blocked direction must deliver nothing');

  proxy.unblockDirection('upstream');
  proxy.blockDirection('downstream');
  await waitFor('the held upstream bytes', () => target.text() === 'to-target;');
  target.socket.write('again;');
  peer.socket.write('more;');
  await waitFor('the open direction', () => target.text() === 'to-target;more;');
  await sleep(quietMs);
  assert.equal(peer.text(), 'to-client;', 'the blocked direction must deliver nothing');

  proxy.unblockDirection('downstream');
  await waitFor('the held downstream bytes', () => peer.text() === 'to-client;again;');
});

test('latency delays each chunk by at least the set amount on an open connection, and jitter keeps order', async (t) => {
  const latencyMs = 80;
  const { proxy } = await setUp(t, { echo: true }, { random: seededRandom(7) });
  const peer = await client(t, proxy);
  proxy.setLatencyMs(latencyMs, 60);

  const messages: { readonly text: string; readonly sentAtMs: number; readonly endsAtByte: number }[] = [];
  let sentBytes = 0;
  for (let index = 0; index < 30; index++) {
    const text = `message-${index};`;
    sentBytes += text.length;
    messages.push({ text, sentAtMs: performance.now(), endsAtByte: sentBytes });
    peer.socket.write(text);
    await sleep(3);
  }
  const expected = messages.map((message) => message.text).join('');
  await waitFor('every echo', () => peer.receivedBytes >= expected.length);
  assert.equal(peer.text(), expected, 'jitter must not reorder bytes');
  for (const message of messages) {
    const arrivedAtMs = peer.arrivalOfByte(message.endsAtByte)!;
    // The echo crosses the proxy twice, once each way.
    assert.ok(
      arrivedAtMs - message.sentAtMs >= 2 * latencyMs,
      `${message.text} came back after ${(arrivedAtMs - message.sentAtMs).toFixed(1)} ms, under ${2 * latencyMs} ms`,
    );
  }

  proxy.setLatencyMs(0);
  const startedAtMs = performance.now();
  peer.socket.write('quick;');
  await waitFor('an echo without latency', () => peer.text().endsWith('quick;'));
  assert.ok(performance.now() - startedAtMs < 2 * latencyMs, 'removing the latency must take effect');
});

test('a bandwidth limit caps throughput', async (t) => {
  const { server, proxy } = await setUp(t, { echo: false });
  const bytesPerSecond = 200_000;
  proxy.setBandwidthBytesPerSecond(bytesPerSecond);
  const peer = await client(t, proxy);
  await waitFor('the target to accept', () => server.accepted.length === 1);
  const payload = patternBytes(0, 200_000);
  const startedAtMs = performance.now();
  peer.socket.write(payload);
  await waitFor('every byte', () => server.accepted[0]!.receivedBytes >= payload.length, 5_000);
  const elapsedMs = performance.now() - startedAtMs;
  assert.ok(server.accepted[0]!.received().equals(payload));
  // One second of link time, less the first slice that goes out at once; loose above for a busy machine.
  assert.ok(elapsedMs >= 900, `200 kB at 200 kB/s took only ${elapsedMs.toFixed(0)} ms`);
  assert.ok(elapsedMs < 3_000, `200 kB at 200 kB/s took ${elapsedMs.toFixed(0)} ms`);

  proxy.setBandwidthBytesPerSecond(null);
  const fastStartedAtMs = performance.now();
  peer.socket.write(patternBytes(payload.length, 200_000));
  await waitFor('every byte without a limit', () => server.accepted[0]!.receivedBytes >= 400_000);
  assert.ok(performance.now() - fastStartedAtMs < 500, 'removing the limit must take effect');
});

test('a black hole under a fast writer buffers a bounded amount, stalls the writer and loses nothing', async (t) => {
  const bufferedBytesMax = 64 * 1024;
  const { server, proxy } = await setUp(t, { echo: false }, { bufferedBytesMax });
  const peer = await client(t, proxy);
  await waitFor('the target to accept', () => server.accepted.length === 1);
  proxy.block({ mode: 'blackhole' });

  const chunkBytes = 64 * 1024;
  const writtenBytesMax = 256 * 1024 * 1024;
  const deadlineMs = performance.now() + 2_000;
  let writtenBytes = 0;
  let stalled = false;
  while (!stalled && writtenBytes < writtenBytesMax && performance.now() < deadlineMs) {
    const accepted = peer.socket.write(patternBytes(writtenBytes, chunkBytes));
    writtenBytes += chunkBytes;
    if (!accepted) {
      stalled = !(await drainedWithin(peer, 200));
    }
  }
  const stats = proxy.stats();
  t.diagnostic(
    `written before the writer stalled: ${writtenBytes} bytes; proxy peak ${stats.upstream.bufferedBytesPeak}`,
  );
  assert.ok(stalled, `the writer never stalled after ${writtenBytes} bytes`);
  assert.equal(server.accepted[0]!.receivedBytes, 0);
  // The source is paused once the limit is reached; at most one more read (64 KiB) can already be under way.
  assert.ok(
    stats.upstream.bufferedBytesPeak <= bufferedBytesMax + 64 * 1024,
    `the proxy held ${stats.upstream.bufferedBytesPeak} bytes, over its limit of ${bufferedBytesMax}`,
  );

  proxy.unblock();
  await waitFor('every held byte', () => server.accepted[0]!.receivedBytes >= writtenBytes, 5_000);
  assert.ok(
    server.accepted[0]!.received().equals(patternBytes(0, writtenBytes)),
    'bytes were lost or reordered',
  );
});

test('resetConnections resets both peers and keeps accepting', async (t) => {
  const { server, proxy } = await setUp(t);
  const first = await client(t, proxy);
  first.socket.write('one');
  await waitFor('the first echo', () => first.text() === 'one');
  proxy.resetConnections();
  await waitFor('both sides to be reset', () => first.closed && server.accepted[0]!.closed);
  assert.equal(first.errorCode, 'ECONNRESET');
  const second = await client(t, proxy);
  second.socket.write('two');
  await waitFor('an echo on a new connection', () => second.text() === 'two');
});

test('a target that refuses resets the client; connections wait for a target given later', async (t) => {
  const server = await RecordingServer.start({ echo: true });
  const unusedPort = server.address.port;
  await server.close();
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: unusedPort } });
  const live = await RecordingServer.start({ echo: true });
  t.after(async () => {
    await proxy.close();
    await live.close();
  });
  const refused = await client(t, proxy);
  await waitFor('the client to be reset', () => refused.closed);
  assert.equal(proxy.stats().connectionsUnreachable, 1);

  const waiting = await FaultProxy.start();
  t.after(() => waiting.close());
  const early = await client(t, waiting);
  early.socket.write('early');
  await sleep(50);
  assert.equal(waiting.stats().connectionsPending, 1);
  waiting.setTarget(live.address);
  await waitFor('the early bytes to be echoed', () => early.text() === 'early');
});

test('controls reject values out of range with typed errors, and refuse use after close', async () => {
  await assert.rejects(FaultProxy.start({ bufferedBytesMax: 10 }), FaultConfigError);
  await assert.rejects(FaultProxy.start({ target: { host: '127.0.0.1', port: 0 } }), FaultConfigError);
  const proxy = await FaultProxy.start();
  assert.throws(() => proxy.setLatencyMs(-1), FaultConfigError);
  assert.throws(() => proxy.setLatencyMs(10, Number.NaN), FaultConfigError);
  assert.throws(() => proxy.setBandwidthBytesPerSecond(0), FaultConfigError);
  assert.throws(() => proxy.setBandwidthBytesPerSecond(1.5), FaultConfigError);
  await proxy.close();
  assert.throws(() => proxy.block(), FaultClosedError);
  await proxy.close();
});

// A process whose only handles are its own server, clients and a proxy must exit by itself once they are closed;
// a timer or socket the proxy forgot would keep it alive.
const closeScript = `
import net from 'node:net';
const { FaultProxy } = await import(process.argv[1]);
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
await new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.address().port } });
proxy.setLatencyMs(60_000);
proxy.setBandwidthBytesPerSecond(1_000);
const clients = [];
for (let index = 0; index < 3; index++) {
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('x'.repeat(10_000));
  clients.push(socket);
}
await new Promise((resolve) => setTimeout(resolve, 100));
proxy.blockDirection('downstream');
const held = net.connect({ host: '127.0.0.1', port: proxy.port });
held.on('error', () => {});
await new Promise((resolve) => held.once('connect', resolve));
const untargeted = await FaultProxy.start();
const pending = net.connect({ host: '127.0.0.1', port: untargeted.port });
pending.on('error', () => {});
await new Promise((resolve) => pending.once('connect', resolve));
pending.write('waiting');
await new Promise((resolve) => setTimeout(resolve, 50));
await Promise.all([proxy.close(), untargeted.close()]);
server.close();
console.log('closed');
`;

test('close releases every socket and timer, so the process exits by itself', async (t) => {
  const proxyModule = new URL('./tcp-proxy.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', closeScript, proxyModule], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | string | null>((resolve) => {
    const timer = setTimeout(() => resolve('still running after 5 s'), 5_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  assert.equal(exitCode, 0, `the process did not exit cleanly (${String(exitCode)}); its output:\n${output}`);
  assert.match(output, /closed/);
});
