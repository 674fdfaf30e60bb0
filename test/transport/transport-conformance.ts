// One suite of behaviour every Transport must show, run against the in-memory and the TCP
// implementations alike, so that unit tests written against MemoryTransport hold over TCP.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';

import type { InstallSnapshotRequest, Message } from '../../src/raft/messages.js';
import type { NodeId } from '../../src/raft/types.js';
import { SnapshotTransferError, TransportClosedError } from '../../src/transport/errors.js';
import type { Transport, TransportHandlers } from '../../src/transport/transport.js';
import { append, heartbeat, installSnapshot, oneOfEachType, payloadFor } from './messages.js';

export interface ConformanceCluster {
  /** One transport per node, each already told every other node's address. */
  readonly transports: ReadonlyMap<NodeId, Transport>;
  /** An address at which no node answers. */
  readonly deadAddress: string;
  close(): Promise<void>;
}

export type MakeCluster = (
  ids: readonly NodeId[],
  handlers: (id: NodeId) => TransportHandlers,
) => Promise<ConformanceCluster>;

const waitMsMax = 10_000;

type SnapshotBehaviour = 'store' | 'reject' | 'stopEarly';

/** Records what one node's handlers were given, and lets tests wait for it. */
export class Recorder implements TransportHandlers {
  readonly messages: Message[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshots: { message: InstallSnapshotRequest; digest: string; bytes: number }[] = [];
  readonly snapshotErrors: unknown[] = [];
  /** Event order: 'message:<type>' and 'snapshot-stored'. */
  readonly events: string[] = [];
  snapshotBehaviour: SnapshotBehaviour = 'store';
  /** Set while the test is inside a Transport method: handlers must never run then. */
  insideCall = false;
  private waiters: (() => void)[] = [];

  constructor(readonly id: NodeId) {}

  onMessage(message: Message): void {
    assert.equal(this.insideCall, false, 'onMessage ran inside a Transport call');
    this.messages.push(message);
    this.events.push(`message:${message.type}`);
    this.changed();
  }

  onUnreachable(id: NodeId): void {
    assert.equal(this.insideCall, false, 'onUnreachable ran inside a Transport call');
    this.unreachable.push(id);
    this.changed();
  }

  async onSnapshot(message: InstallSnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
    assert.equal(this.insideCall, false, 'onSnapshot ran inside a Transport call');
    if (this.snapshotBehaviour === 'reject') throw new Error('the disk is full');
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of data) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        if (this.snapshotBehaviour === 'stopEarly' && bytes > 0) return;
      }
    } catch (error) {
      this.snapshotErrors.push(error);
      this.changed();
      throw error;
    }
    this.snapshots.push({ message, digest: hash.digest('hex'), bytes });
    this.events.push('snapshot-stored');
    this.changed();
  }

  /** Resolves once `condition` holds; fails the test if it does not within a bounded time. */
  async waitFor(what: string, condition: () => boolean, timeoutMs = waitMsMax): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) assert.fail(`node ${this.id}: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remainingMs, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  messagesFrom(id: NodeId): Message[] {
    return this.messages.filter((message) => message.from === id);
  }

  private changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Calls `action` with every recorder marked as inside a Transport call. */
export function inCall<T>(recorders: Iterable<Recorder>, action: () => T): T {
  const all = [...recorders];
  for (const recorder of all) recorder.insideCall = true;
  try {
    return action();
  } finally {
    for (const recorder of all) recorder.insideCall = false;
  }
}

/** Deterministic snapshot data in irregular chunks, with its SHA-256. */
export function snapshotData(totalBytes: number): { chunks: Uint8Array[]; digest: string } {
  const chunks: Uint8Array[] = [];
  const hash = createHash('sha256');
  let produced = 0;
  for (let n = 0; produced < totalBytes; n++) {
    const size = Math.min(totalBytes - produced, 1 + ((n * 7919) % 300_000));
    const chunk = payloadFor(n, size);
    chunks.push(chunk);
    hash.update(chunk);
    produced += size;
  }
  return { chunks, digest: hash.digest('hex') };
}

async function* yieldAll(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

export function transportConformance(name: string, makeCluster: MakeCluster): void {
  describe(`Transport conformance: ${name}`, () => {
    let open: ConformanceCluster[] = [];

    async function cluster(ids: readonly NodeId[]): Promise<{
      transports: ReadonlyMap<NodeId, Transport>;
      recorders: Map<NodeId, Recorder>;
      deadAddress: string;
      close: () => Promise<void>;
    }> {
      const recorders = new Map(ids.map((id) => [id, new Recorder(id)]));
      const made = await makeCluster(ids, (id) => recorders.get(id)!);
      open.push(made);
      return {
        transports: made.transports,
        recorders,
        deadAddress: made.deadAddress,
        close: () => made.close(),
      };
    }

    afterEach(async () => {
      const closing = open;
      open = [];
      await Promise.all(closing.map((made) => made.close()));
    });
    after(async () => {
      await Promise.all(open.map((made) => made.close()));
    });

    it('delivers messages between every pair, in the order each sender sent them', async () => {
      const ids = ['n1', 'n2', 'n3'];
      const { transports, recorders } = await cluster(ids);
      const perPair = 300;
      const sent = new Map<string, Message[]>();
      // Several rounds of interleaved sends, with turns of the event loop between some of them.
      for (let round = 0; round < perPair / 10; round++) {
        for (const from of ids) {
          const batch: Message[] = [];
          for (const to of ids) {
            if (to === from) continue;
            for (let i = 0; i < 10; i++) {
              const sequence = round * 10 + i;
              const message =
                i % 3 === 0 ? append(from, to, sequence * 2, 2, 64 + i) : heartbeat(from, to, sequence);
              batch.push(message);
              const key = `${from}->${to}`;
              sent.set(key, [...(sent.get(key) ?? []), message]);
            }
          }
          inCall(recorders.values(), () => transports.get(from)!.send(batch));
        }
        if (round % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      for (const to of ids) {
        const recorder = recorders.get(to)!;
        await recorder.waitFor(
          'every message',
          () => recorder.messages.length === perPair * (ids.length - 1),
        );
        for (const from of ids) {
          if (from === to) continue;
          assert.deepEqual(recorder.messagesFrom(from), sent.get(`${from}->${to}`), `${from}->${to}`);
        }
        assert.deepEqual(recorder.unreachable, []);
      }
    });

    it('carries every message type intact', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const messages = oneOfEachType('a', 'b');
      inCall(recorders.values(), () => transports.get('a')!.send(messages));
      const b = recorders.get('b')!;
      await b.waitFor('all types', () => b.messages.length === messages.length);
      assert.deepEqual(b.messages, messages);
    });

    it('drops messages to an unknown peer and reports it unreachable, later and once per burst', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const a = recorders.get('a')!;
      inCall(recorders.values(), () =>
        transports
          .get('a')!
          .send([heartbeat('a', 'ghost', 1), heartbeat('a', 'ghost', 2), heartbeat('a', 'b', 3)]),
      );
      assert.deepEqual(a.unreachable, [], 'reported synchronously');
      await a.waitFor('ghost reported', () => a.unreachable.includes('ghost'));
      const b = recorders.get('b')!;
      await b.waitFor('the message to b', () => b.messages.length === 1);
      assert.deepEqual(a.unreachable, ['ghost']);
    });

    it('reports a peer unreachable when nothing answers at its address', async () => {
      const { transports, recorders, deadAddress } = await cluster(['a', 'b']);
      const a = recorders.get('a')!;
      transports.get('a')!.setPeer('c', deadAddress);
      inCall(recorders.values(), () => transports.get('a')!.send([heartbeat('a', 'c', 1)]));
      await a.waitFor('c reported', () => a.unreachable.includes('c'));
    });

    it('reports a removed peer unreachable and sends it nothing more', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const a = recorders.get('a')!;
      const b = recorders.get('b')!;
      transports.get('a')!.send([heartbeat('a', 'b', 1)]);
      await b.waitFor('first message', () => b.messages.length === 1);
      transports.get('a')!.removePeer('b');
      inCall(recorders.values(), () => transports.get('a')!.send([heartbeat('a', 'b', 2)]));
      await a.waitFor('b reported', () => a.unreachable.includes('b'));
      assert.equal(b.messages.length, 1);
    });

    it('refuses to send a message to the sending node itself', async () => {
      const { transports } = await cluster(['a', 'b']);
      assert.throws(() => transports.get('a')!.send([heartbeat('a', 'a', 1)]), /to itself/);
    });

    it('streams a snapshot intact, then delivers its message, then resolves', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const b = recorders.get('b')!;
      const data = snapshotData(5 * 1024 * 1024 + 12_345);
      const message = installSnapshot('a', 'b', 1000);
      const sending = inCall(recorders.values(), () =>
        transports.get('a')!.sendSnapshot(message, () => yieldAll(data.chunks)),
      );
      await sending;
      assert.equal(b.snapshots.length, 1);
      assert.deepEqual(b.snapshots[0]!.message, message);
      assert.equal(b.snapshots[0]!.digest, data.digest);
      assert.equal(b.snapshots[0]!.bytes, 5 * 1024 * 1024 + 12_345);
      assert.deepEqual(b.messages, [message]);
      assert.deepEqual(b.events, ['snapshot-stored', 'message:installSnapshot']);
    });

    it('streams an empty snapshot', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const b = recorders.get('b')!;
      await transports.get('a')!.sendSnapshot(installSnapshot('a', 'b', 1), () => yieldAll([]));
      assert.equal(b.snapshots[0]!.bytes, 0);
      assert.equal(b.messages.length, 1);
    });

    it('does not deliver the message of a snapshot the receiver failed to store', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const b = recorders.get('b')!;
      b.snapshotBehaviour = 'reject';
      await assert.rejects(
        transports
          .get('a')!
          .sendSnapshot(installSnapshot('a', 'b', 7), () => yieldAll(snapshotData(100_000).chunks)),
        (error: unknown) =>
          error instanceof SnapshotTransferError &&
          error.code === 'SNAPSHOT_REJECTED' &&
          /disk is full/.test(error.message),
      );
      b.snapshotBehaviour = 'stopEarly';
      await assert.rejects(
        transports
          .get('a')!
          .sendSnapshot(installSnapshot('a', 'b', 8), () => yieldAll(snapshotData(100_000).chunks)),
        (error: unknown) => error instanceof SnapshotTransferError && error.code === 'SNAPSHOT_REJECTED',
      );
      // Raft messages still flow, and neither snapshot's message was delivered.
      transports.get('a')!.send([heartbeat('a', 'b', 9)]);
      await b.waitFor('the heartbeat', () => b.messages.length === 1);
      assert.deepEqual(
        b.messages.map((message) => message.type),
        ['heartbeat'],
      );
    });

    it('fails a snapshot whose source fails, and the receiver sees the stream break', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const b = recorders.get('b')!;
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield payloadFor(1, 100_000);
        throw new Error('read error on the snapshot file');
      }
      await assert.rejects(
        transports.get('a')!.sendSnapshot(installSnapshot('a', 'b', 9), failing),
        (error: unknown) =>
          error instanceof SnapshotTransferError &&
          error.code === 'SNAPSHOT_SOURCE' &&
          /read error/.test(error.message),
      );
      await b.waitFor('the broken stream', () => b.snapshotErrors.length === 1);
      assert.equal(b.snapshots.length, 0);
      assert.equal(b.messages.length, 0);
    });

    it('fails a snapshot to an unknown peer as unreachable', async () => {
      const { transports } = await cluster(['a', 'b']);
      await assert.rejects(
        transports.get('a')!.sendSnapshot(installSnapshot('a', 'ghost', 1), () => yieldAll([])),
        (error: unknown) => error instanceof SnapshotTransferError && error.code === 'SNAPSHOT_UNREACHABLE',
      );
    });

    it('closes cleanly: nothing is delivered to a closed node, and its peers are told', async () => {
      const { transports, recorders } = await cluster(['a', 'b']);
      const a = recorders.get('a')!;
      const b = recorders.get('b')!;
      transports.get('a')!.send([heartbeat('a', 'b', 1)]);
      await b.waitFor('first message', () => b.messages.length === 1);
      await transports.get('b')!.close();
      await transports.get('b')!.close();
      // A closed transport ignores sends and refuses snapshots.
      transports.get('b')!.send([heartbeat('b', 'a', 1)]);
      await assert.rejects(
        transports.get('b')!.sendSnapshot(installSnapshot('b', 'a', 1), () => yieldAll([])),
        TransportClosedError,
      );
      // Its peer keeps sending; messages are reported unreachable within the bound.
      for (let attempt = 0; attempt < 200 && !a.unreachable.includes('b'); attempt++) {
        transports.get('a')!.send([heartbeat('a', 'b', 2 + attempt)]);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.ok(a.unreachable.includes('b'), 'the closed peer was never reported unreachable');
      assert.equal(b.messages.length, 1);
      assert.equal(a.messages.length, 0);
    });
  });
}
