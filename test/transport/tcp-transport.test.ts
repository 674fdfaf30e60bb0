import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SnapshotTransferError, TransportConfigError } from '../../src/transport/errors.js';
import { Listener } from '../../src/transport/listener.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { append, heartbeat, installSnapshot, payloadFor } from './messages.js';
import {
  deadAddress,
  quickLimits,
  sleep,
  startTcpNode,
  stopTcpNode,
  wire,
  type TcpNode,
} from './tcp-cluster.js';
import { Recorder, transportConformance } from './transport-conformance.js';

transportConformance('TcpTransport', async (ids, handlers) => {
  const nodes: TcpNode[] = [];
  for (const id of ids) nodes.push(await startTcpNode(id, handlers(id)));
  wire(nodes);
  return {
    transports: new Map<string, Transport>(nodes.map((node) => [node.id, node.transport])),
    deadAddress: await deadAddress(),
    close: async () => {
      await Promise.all(nodes.map(stopTcpNode));
    },
  };
});

describe('TcpTransport', () => {
  it('redials a peer that restarts on the same address and delivers again', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    const nodeA = await startTcpNode('a', a);
    let nodeB = await startTcpNode('b', b);
    const addressB = nodeB.listener.addressText();
    wire([nodeA, nodeB]);
    try {
      nodeA.transport.send([heartbeat('a', 'b', 1)]);
      await b.waitFor('first message', () => b.messages.length === 1);
      await stopTcpNode(nodeB);
      await a.waitFor('b reported after it stopped', () => a.unreachable.includes('b'));

      nodeB = await startTcpNode('b', b, quickLimits, addressB);
      const before = b.messages.length;
      for (let round = 2; round < 200 && b.messages.length === before; round++) {
        nodeA.transport.send([heartbeat('a', 'b', round)]);
        await sleep(20);
      }
      assert.ok(b.messages.length > before, 'nothing arrived after the restart');
      const stats = nodeA.transport.stats().peers.get('b')!;
      assert.equal(stats.state, 'ready');
      assert.ok(stats.connections >= 2, `connections: ${stats.connections}`);
      assert.ok(nodeA.warnings.some((line) => /peer b .* is unreachable/.test(line)));
      assert.ok(nodeA.warnings.some((line) => /peer b .* is reachable again/.test(line)));
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
    }
  });

  it('refuses to deliver to a node that is not the one dialed', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    const nodeA = await startTcpNode('a', a);
    const nodeB = await startTcpNode('b', b);
    try {
      nodeA.transport.setPeer('c', nodeB.listener.addressText());
      nodeA.transport.send([heartbeat('a', 'c', 1)]);
      await a.waitFor('c reported', () => a.unreachable.includes('c'));
      assert.equal(b.messages.length, 0);
      assert.ok(
        nodeB.warnings.some((line) => /a dialed node c, but this is node b/.test(line)),
        nodeB.warnings.join('\n'),
      );
      assert.ok(
        nodeA.warnings.some((line) => /peer c .* refused the connection/.test(line)),
        nodeA.warnings.join('\n'),
      );
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
    }
  });

  it('coalesces a burst of messages into few writes', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    const nodeA = await startTcpNode('a', a);
    const nodeB = await startTcpNode('b', b);
    wire([nodeA, nodeB]);
    try {
      nodeA.transport.send([heartbeat('a', 'b', 0)]);
      await b.waitFor('the connection', () => b.messages.length === 1);
      const writesBefore = nodeA.transport.stats().peers.get('b')!.writes;
      for (let i = 1; i <= 500; i++) nodeA.transport.send([append('a', 'b', i, 1, 200)]);
      await b.waitFor('the burst', () => b.messages.length === 501);
      const writes = nodeA.transport.stats().peers.get('b')!.writes - writesBefore;
      assert.ok(writes >= 1 && writes <= 3, `${writes} socket writes for 500 messages`);
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
    }
  });

  it('keeps a snapshot transfer within bounded memory, whatever its size', async () => {
    const a = new Recorder('a');
    const nodeA = await startTcpNode('a', a);
    let produced = 0;
    let consumed = 0;
    let aheadMax = 0;
    const nodeB = await startTcpNode(
      'b',
      {
        onMessage: () => undefined,
        onUnreachable: () => undefined,
        onSnapshot: async (_message, data) => {
          for await (const chunk of data) {
            consumed += chunk.byteLength;
            aheadMax = Math.max(aheadMax, produced - consumed);
            // A slow disk: the sender must wait rather than pile bytes up.
            if (consumed % (4 * 1024 * 1024) < chunk.byteLength) await sleep(5);
          }
        },
      },
      { ...quickLimits, snapshotChunkBytes: 256 * 1024, snapshotBufferedBytesMax: 2 * 1024 * 1024 },
    );
    wire([nodeA, nodeB]);
    const totalBytes = 96 * 1024 * 1024;
    async function* source(): AsyncGenerator<Uint8Array> {
      const chunk = payloadFor(1, 1024 * 1024);
      for (let sent = 0; sent < totalBytes; sent += chunk.byteLength) {
        produced += chunk.byteLength;
        yield chunk;
      }
    }
    try {
      await nodeA.transport.sendSnapshot(installSnapshot('a', 'b', 10), source);
      assert.equal(consumed, totalBytes);
      // Kernel socket buffers on loopback hold a few MB each way; the transport adds only its bounds.
      assert.ok(aheadMax < 32 * 1024 * 1024, `the sender ran ${aheadMax} bytes ahead of the receiver`);
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
    }
  });

  it('sends one snapshot at a time to a peer', async () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    const nodeA = await startTcpNode('a', a);
    const nodeB = await startTcpNode('b', b);
    wire([nodeA, nodeB]);
    try {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield payloadFor(1, 1000);
        await gate;
      }
      const first = nodeA.transport.sendSnapshot(installSnapshot('a', 'b', 5), slow);
      await assert.rejects(
        nodeA.transport.sendSnapshot(installSnapshot('a', 'b', 6), slow),
        (error: unknown) => error instanceof SnapshotTransferError && error.code === 'SNAPSHOT_BUSY',
      );
      release();
      await first;
    } finally {
      await stopTcpNode(nodeA);
      await stopTcpNode(nodeB);
    }
  });

  it('validates its limits when it starts', async () => {
    const listener = await Listener.open('127.0.0.1:0');
    try {
      const start = (limits: object): TcpTransport =>
        new TcpTransport({ nodeId: 'a', listener, handlers: new Recorder('a'), limits });
      assert.throws(
        () => start({ silenceTimeoutMs: 100, pingIntervalMs: 80 }),
        /silenceTimeoutMs must be an integer from 160/,
      );
      assert.throws(() => start({ queueBytesMax: 10, frameBytesMax: 100 }), TransportConfigError);
      assert.throws(() => start({ frameBytesMax: 0 }), TransportConfigError);
    } finally {
      await listener.close();
    }
  });
});
