// The TCP transport under faults that produce no TCP error: a peer that stops reading, a black-holed
// link, and peers that send garbage.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, it } from 'node:test';

import { encodeMessage } from '../../src/transport/codec.js';
import { encodeFrames, FrameDecoder } from '../../src/transport/framing.js';
import {
  ConnectionKind,
  decodeSnapshotResult,
  encodeHello,
  encodeSnapshotEnd,
  encodeSnapshotHeader,
  encodeWelcome,
  FrameKind,
  protocolVersion,
} from '../../src/transport/wire.js';
import { formatTcpAddress, FaultProxy } from '../e2e/faults/tcp-proxy.js';
import { append, heartbeat, installSnapshot, payloadFor } from './messages.js';
import { quickLimits, sleep, startTcpNode, stopTcpNode, wire } from './tcp-cluster.js';
import { Recorder } from './transport-conformance.js';

/**
 * A peer that welcomes the dialer and then never reads again and never answers a ping, as a process
 * stopped with SIGSTOP would (its kernel still accepts bytes until its buffers are full).
 */
async function startStoppedPeer(id: string): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder(1024 * 1024);
    let first = true;
    socket.on('data', (chunk: Buffer) => {
      const frames = decoder.push(first ? chunk.subarray(1) : chunk);
      first = false;
      if (frames.some((frame) => frame[0] === FrameKind.hello)) {
        socket.write(encodeFrames([encodeWelcome(id)]));
        socket.pause();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens a raw connection, writes `bytes`, and resolves with what came back once the node hung up. */
function rawExchange(
  address: string,
  bytes: Uint8Array,
  timeoutMs = 3000,
): Promise<{ closed: boolean; received: Buffer }> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, received: Buffer.concat(received) });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received: Buffer.concat(received) });
    });
    socket.write(bytes);
  });
}

function connectionBytes(kind: number, payloads: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat([Uint8Array.of(kind), encodeFrames(payloads)]);
}

describe('TcpTransport under faults', () => {
  it('bounds what it queues for a peer that stopped reading, and reports the drops', async () => {
    const a = new Recorder('a');
    const limits = {
      ...quickLimits,
      frameBytesMax: 256 * 1024,
      snapshotChunkBytes: 64 * 1024,
      queueBytesMax: 1024 * 1024,
      queueMessagesMax: 100_000,
      writeBatchBytesMax: 256 * 1024,
      silenceTimeoutMs: 60_000,
    };
    const nodeA = await startTcpNode('a', a, limits);
    const stopped = await startStoppedPeer('b');
    nodeA.transport.setPeer('b', stopped.address);
    try {
      let prevIndex = 0;
      let peakQueued = 0;
      let peakUnsent = 0;
      // 64 MiB offered in 64 KiB appends: far more than the kernel's buffers and the queue can hold.
      for (let round = 0; round < 128; round++) {
        const batch = [];
        for (let i = 0; i < 8; i++) {
          batch.push(append('a', 'b', prevIndex, 1, 64 * 1024));
          prevIndex++;
        }
        nodeA.transport.send(batch);
        await new Promise((resolve) => setImmediate(resolve));
        const stats = nodeA.transport.stats().peers.get('b')!;
        peakQueued = Math.max(peakQueued, stats.queuedBytes);
        peakUnsent = Math.max(peakUnsent, stats.unsentBytes);
      }
      const stats = nodeA.transport.stats().peers.get('b')!;
      assert.equal(stats.state, 'ready');
      assert.ok(peakQueued <= limits.queueBytesMax, `queued ${peakQueued} bytes`);
      assert.ok(
        peakUnsent <= limits.writeBatchBytesMax + 128 * 1024,
        `left ${peakUnsent} bytes in the socket`,
      );
      assert.ok(stats.droppedMessages > 0, 'nothing was dropped');
      await a.waitFor('b reported', () => a.unreachable.includes('b'));
    } finally {
      await stopTcpNode(nodeA);
      await stopped.close();
    }
  });

  it('closes the connection to a stopped peer after the silence timeout and reports it', async () => {
    const a = new Recorder('a');
    const nodeA = await startTcpNode('a', a);
    const stopped = await startStoppedPeer('b');
    nodeA.transport.setPeer('b', stopped.address);
    try {
      nodeA.transport.send([heartbeat('a', 'b', 1)]);
      const startedAt = Date.now();
      await a.waitFor('b reported', () => a.unreachable.includes('b'), 5000);
      const elapsedMs = Date.now() - startedAt;
      const { silenceTimeoutMs, pingIntervalMs } = quickLimits as {
        silenceTimeoutMs: number;
        pingIntervalMs: number;
      };
      assert.ok(elapsedMs >= silenceTimeoutMs - pingIntervalMs, `reported after only ${elapsedMs} ms`);
      assert.ok(elapsedMs <= silenceTimeoutMs + 4 * pingIntervalMs + 300, `reported after ${elapsedMs} ms`);
      assert.ok(
        nodeA.warnings.some((line) => /nothing heard from it/.test(line)),
        nodeA.warnings.join('\n'),
      );
    } finally {
      await stopTcpNode(nodeA);
      await stopped.close();
    }
  });

  it('detects a black-holed link within the silence timeout, and recovers when it heals', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    const nodeA = await startTcpNode('a', a);
    const nodeB = await startTcpNode('b', b);
    const proxy = await FaultProxy.start({ target: nodeB.listener.address() });
    nodeA.transport.setPeer('b', formatTcpAddress(proxy.address));
    try {
      nodeA.transport.send([heartbeat('a', 'b', 1)]);
      await b.waitFor('first message', () => b.messages.length === 1);

      proxy.block();
      const blockedAt = Date.now();
      let round = 2;
      // The core keeps sending heartbeats; none can arrive, and no TCP error will say so.
      while (!a.unreachable.includes('b') && Date.now() - blockedAt < 5000) {
        nodeA.transport.send([heartbeat('a', 'b', round++)]);
        await sleep(20);
      }
      const detectedMs = Date.now() - blockedAt;
      assert.ok(a.unreachable.includes('b'), 'the black hole was never detected');
      const { silenceTimeoutMs, pingIntervalMs } = quickLimits as {
        silenceTimeoutMs: number;
        pingIntervalMs: number;
      };
      assert.ok(detectedMs <= silenceTimeoutMs + 4 * pingIntervalMs + 300, `detected after ${detectedMs} ms`);

      // TCP would eventually give up on the held connections; then the link heals.
      proxy.resetConnections();
      proxy.unblock();
      const delivered = b.messages.length;
      const healedAt = Date.now();
      while (b.messages.length === delivered && Date.now() - healedAt < 5000) {
        nodeA.transport.send([heartbeat('a', 'b', round++)]);
        await sleep(20);
      }
      assert.ok(b.messages.length > delivered, 'nothing arrived after the link healed');
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
      await proxy.close();
    }
  });

  it('survives malformed and hostile input on every kind of connection', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    const nodeA = await startTcpNode('a', a);
    const nodeB = await startTcpNode('b', b);
    wire([nodeA, nodeB]);
    const address = nodeB.listener.addressText();
    const hello = encodeHello({ from: 'x', to: 'b' });
    const hugeHeader = Buffer.from([ConnectionKind.raft, 0xff, 0xff, 0xff, 0xff]);
    const badVersionHello = new Uint8Array(hello);
    badVersionHello[1] = protocolVersion + 1;
    const garbageMessage = Uint8Array.of(FrameKind.message, 1, 0x93, 0xc1, 0xc1, 0xc1);
    const impostor = Uint8Array.of(FrameKind.message, ...encodeMessage(heartbeat('y', 'b', 1)));
    try {
      const cases: [string, Uint8Array][] = [
        ['an unknown connection kind', Uint8Array.of(0xee, 1, 2, 3)],
        ['a frame longer than the limit', hugeHeader],
        [
          'a first frame that is not a hello',
          connectionBytes(ConnectionKind.raft, [Uint8Array.of(FrameKind.ping)]),
        ],
        ['a hello of another version', connectionBytes(ConnectionKind.raft, [badVersionHello])],
        [
          'a hello that is not MessagePack',
          connectionBytes(ConnectionKind.raft, [Uint8Array.of(FrameKind.hello, 1, 0xc1)]),
        ],
        ['a message that does not decode', connectionBytes(ConnectionKind.raft, [hello, garbageMessage])],
        [
          'a message from another node than the hello',
          connectionBytes(ConnectionKind.raft, [hello, impostor]),
        ],
        ['an empty frame', connectionBytes(ConnectionKind.raft, [hello, new Uint8Array(0)])],
        [
          'a snapshot header that is a heartbeat',
          connectionBytes(ConnectionKind.snapshot, [hello, impostor]),
        ],
        ['an RPC frame of another version', connectionBytes(ConnectionKind.rpc, [Uint8Array.of(9, 0x90)])],
      ];
      for (const [what, bytes] of cases) {
        const outcome = await rawExchange(address, bytes);
        assert.ok(outcome.closed, `${what}: the connection stayed open`);
      }
      // Random bytes after each connection kind.
      for (let i = 0; i < 30; i++) {
        const noise = payloadFor(i, 20 + i * 13);
        await rawExchange(address, Buffer.concat([Uint8Array.of(1 + (i % 3)), noise]), 300);
      }
      assert.equal(b.messages.length, 0);
      assert.ok(
        nodeB.warnings.some((line) => /speaks transport protocol 2/.test(line)),
        nodeB.warnings.join('\n'),
      );
      assert.ok(
        nodeB.warnings.some((line) => /cannot decode a Raft message/.test(line)),
        nodeB.warnings.join('\n'),
      );

      // The node still works.
      nodeA.transport.send([heartbeat('a', 'b', 1)]);
      await b.waitFor('a real message', () => b.messages.length === 1);
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
    }
  });

  it('tells the sender and the application when snapshot bytes arrive damaged', async () => {
    const b = new Recorder('b');
    const nodeB = await startTcpNode('b', b);
    try {
      const message = installSnapshot('a', 'b', 3);
      const chunk = payloadFor(3, 50_000);
      const wrongDigest = createHash('sha256').update('something else').digest();
      const bytes = connectionBytes(ConnectionKind.snapshot, [
        encodeHello({ from: 'a', to: 'b' }),
        encodeSnapshotHeader(encodeMessage(message)),
        Uint8Array.of(FrameKind.snapshotChunk, ...chunk),
        encodeSnapshotEnd({ totalBytes: chunk.byteLength, digest: wrongDigest }),
      ]);
      const outcome = await rawExchange(nodeB.listener.addressText(), bytes);
      assert.ok(outcome.closed);
      const frames = new FrameDecoder(1024 * 1024).push(outcome.received);
      const result = frames.find((frame) => frame[0] === FrameKind.snapshotResult);
      assert.ok(result !== undefined, 'no result frame came back');
      assert.equal(decodeSnapshotResult(result).code, 'SNAPSHOT_CORRUPT');
      await b.waitFor('the handler saw the damage', () => b.snapshotErrors.length === 1);
      assert.match(String(b.snapshotErrors[0]), /arrived damaged/);
      assert.equal(b.messages.length, 0);
    } finally {
      await stopTcpNode(nodeB);
    }
  });

  it('closes connections that never say hello', async () => {
    const b = new Recorder('b');
    const nodeB = await startTcpNode('b', b, { ...quickLimits, connectTimeoutMs: 200 });
    try {
      const startedAt = Date.now();
      const outcome = await rawExchange(
        nodeB.listener.addressText(),
        Uint8Array.of(ConnectionKind.raft),
        3000,
      );
      assert.ok(outcome.closed);
      assert.ok(Date.now() - startedAt < 1500);
    } finally {
      await stopTcpNode(nodeB);
    }
  });
});
