// The receiving end of a snapshot connection:
//
//   hello -> header (the InstallSnapshot message) -> chunks ... -> trailer (byte count, SHA-256)
//
// The chunks flow into a ByteChannel that the application's onSnapshot handler reads; the socket pauses
// while the handler is behind. The trailer is checked before the channel reports its end, so a handler
// that read everything has read verified bytes. Only once the handler has resolved is the message
// delivered and success reported to the sender.

import { createHash, type Hash } from 'node:crypto';
import type { Socket } from 'node:net';

import type { InstallSnapshotRequest, Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { ByteChannel } from './byte-channel.js';
import { decodeMessage } from './codec.js';
import {
  describeError,
  ProtocolError,
  SnapshotTransferError,
  TransportError,
  type SnapshotTransferCode,
} from './errors.js';
import { FramedConnection } from './framed-connection.js';
import type { InboundContext } from './raft-inbound.js';
import {
  decodeHello,
  decodeSnapshotEnd,
  encodeRefusal,
  encodeSnapshotResult,
  encodeWelcome,
  FrameKind,
  frameKindOf,
  type Hello,
} from './wire.js';

export interface SnapshotReceiverContext extends InboundContext {
  readonly deliver: (message: Message) => void;
  /** Reserves one of the inbound snapshot slots; false when all are taken. */
  readonly admit: () => boolean;
  readonly release: () => void;
  readonly store: (message: InstallSnapshotRequest, data: AsyncIterable<Uint8Array>) => Promise<void>;
  readonly closed: (receiver: SnapshotReceiver) => void;
}

type ReceiverState = 'hello' | 'header' | 'data' | 'storing' | 'done';

export class SnapshotReceiver {
  private state: ReceiverState = 'hello';
  private peer: NodeId | undefined;
  private channel: ByteChannel | undefined;
  private readonly hash: Hash = createHash('sha256');
  private receivedBytes = 0;
  private admitted = false;
  private paused = false;
  private readonly connection: FramedConnection;
  private readonly openedAtMs: number;

  constructor(
    socket: Socket,
    head: Uint8Array,
    private readonly context: SnapshotReceiverContext,
  ) {
    this.openedAtMs = context.now();
    this.connection = new FramedConnection(socket, {
      frameBytesMax: context.limits.frameBytesMax,
      now: context.now,
      onFrame: (payload) => this.receive(payload),
      onClose: (error) => this.closed(error),
    });
    this.connection.receive(head);
  }

  /** Fails a transfer that stalls while it waits for the sender (not while the handler is behind). */
  tick(nowMs: number): void {
    const { connectTimeoutMs, snapshotIdleTimeoutMs } = this.context.limits;
    if (this.state === 'hello' && nowMs - this.openedAtMs > connectTimeoutMs) {
      this.connection.close(new ProtocolError(`no hello within ${connectTimeoutMs} ms`));
    } else if ((this.state === 'header' || this.state === 'data') && !this.paused) {
      const silentMs = nowMs - this.connection.lastReadAtMs;
      if (silentMs > snapshotIdleTimeoutMs) {
        this.connection.close(
          new SnapshotTransferError(
            'SNAPSHOT_TIMEOUT',
            `the sender sent nothing for ${Math.round(silentMs)} ms`,
          ),
        );
      }
    }
  }

  excuseSilence(nowMs: number): void {
    this.connection.lastReadAtMs = nowMs;
  }

  close(): Promise<void> {
    this.connection.close(
      new SnapshotTransferError('SNAPSHOT_UNREACHABLE', 'the receiving transport closed'),
    );
    return this.connection.released;
  }

  private receive(payload: Uint8Array): void {
    switch (this.state) {
      case 'hello':
        this.greet(payload);
        return;
      case 'header':
        this.begin(payload);
        return;
      case 'data':
        this.data(payload);
        return;
      case 'storing':
      case 'done':
        throw new ProtocolError('the sender kept sending after the snapshot trailer');
    }
  }

  private greet(payload: Uint8Array): void {
    let hello: Hello;
    try {
      hello = decodeHello(payload);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      this.refuse(describeError(error));
      return;
    }
    if (hello.to !== this.context.localId) {
      this.refuse(
        `${hello.from} sent a snapshot to node ${hello.to}, but this is node ${this.context.localId}`,
      );
      return;
    }
    this.peer = hello.from;
    this.connection.writeFrame(encodeWelcome(this.context.localId));
    this.state = 'header';
  }

  private begin(payload: Uint8Array): void {
    if (frameKindOf(payload) !== FrameKind.snapshotHeader)
      throw new ProtocolError('expected a snapshot header');
    const message = decodeMessage(payload.subarray(1));
    if (
      message.type !== 'installSnapshot' ||
      message.from !== this.peer ||
      message.to !== this.context.localId
    ) {
      throw new ProtocolError(
        `the snapshot header is a ${message.type} from ${message.from} to ${message.to}, ` +
          `not an installSnapshot from ${this.peer} to ${this.context.localId}`,
      );
    }
    if (!this.context.admit()) {
      this.finish(
        'SNAPSHOT_BUSY',
        `node ${this.context.localId} is already receiving as many snapshots as it allows`,
      );
      return;
    }
    this.admitted = true;
    this.state = 'data';
    const channel = new ByteChannel(
      this.context.limits.snapshotBufferedBytesMax,
      () => {
        this.paused = false;
        this.connection.lastReadAtMs = this.context.now();
        this.connection.resume();
      },
      () => {
        if (this.state === 'data') {
          this.finish('SNAPSHOT_REJECTED', 'the receiver stopped reading the snapshot before its end');
        }
      },
    );
    this.channel = channel;
    this.context.store(message, channel).then(
      () => this.stored(message),
      (error: unknown) =>
        this.finish('SNAPSHOT_REJECTED', `storing the snapshot failed: ${describeError(error)}`),
    );
  }

  private data(payload: Uint8Array): void {
    const channel = this.channel;
    if (channel === undefined) throw new Error('SnapshotReceiver: data without a channel');
    const kind = frameKindOf(payload);
    if (kind === FrameKind.snapshotChunk) {
      const chunk = payload.subarray(1);
      this.hash.update(chunk);
      this.receivedBytes += chunk.byteLength;
      if (!channel.push(chunk)) {
        this.paused = true;
        this.connection.pause();
      }
      return;
    }
    if (kind !== FrameKind.snapshotEnd)
      throw new ProtocolError(`unexpected frame kind ${kind} in a snapshot`);
    const trailer = decodeSnapshotEnd(payload);
    const digest = this.hash.digest();
    if (trailer.totalBytes !== this.receivedBytes || !digest.equals(trailer.digest)) {
      const problem =
        `received ${this.receivedBytes} bytes, the sender sent ${trailer.totalBytes}` +
        (trailer.totalBytes === this.receivedBytes ? ', and their SHA-256 differs' : '');
      channel.fail(new SnapshotTransferError('SNAPSHOT_CORRUPT', `the snapshot arrived damaged: ${problem}`));
      this.finish('SNAPSHOT_CORRUPT', `the snapshot arrived damaged: ${problem}`);
      return;
    }
    this.state = 'storing';
    channel.end();
  }

  private stored(message: InstallSnapshotRequest): void {
    if (this.state === 'done') return;
    if (this.state !== 'storing' || this.channel?.finished !== true) {
      this.finish('SNAPSHOT_REJECTED', 'the receiver finished storing before reading the whole snapshot');
      return;
    }
    this.context.deliver(message);
    this.finish('', 'stored');
  }

  /** Reports the outcome to the sender and hangs up; `code` '' is success. */
  private finish(code: SnapshotTransferCode | '', message: string): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.releaseSlot();
    if (code !== '') {
      this.channel?.fail(new SnapshotTransferError(code, message));
      this.context.warn(`a snapshot from node ${this.peer ?? '?'} failed: ${message}`);
    }
    this.connection.writeFrame(encodeSnapshotResult({ code, message }));
    this.connection.end();
  }

  private refuse(reason: string): void {
    this.state = 'done';
    this.connection.writeFrame(encodeRefusal(reason));
    this.context.warn(`refused a snapshot connection: ${reason}`);
    this.connection.end();
  }

  private closed(error: Error | undefined): void {
    if (this.state !== 'done') {
      this.state = 'done';
      const problem = error === undefined ? 'the connection closed' : describeError(error);
      const failure =
        error instanceof SnapshotTransferError
          ? error
          : new SnapshotTransferError('SNAPSHOT_UNREACHABLE', `the snapshot transfer broke off: ${problem}`);
      this.channel?.fail(failure);
      if (error instanceof TransportError) {
        this.context.warn(`a snapshot from node ${this.peer ?? '?'} failed: ${problem}`);
      }
    }
    this.releaseSlot();
    this.context.closed(this);
  }

  private releaseSlot(): void {
    if (!this.admitted) return;
    this.admitted = false;
    this.context.release();
  }
}
