// The outbound half of the TCP transport toward one peer: a bounded queue, one connection reused for as
// long as it lives, batched writes, and the judgement of when the peer is gone.
//
//   idle --message--> connecting --welcome--> ready --error, refusal or silence--> backoff --delay--> idle
//
// While connecting, messages wait in the queue (bounded). In backoff they are dropped at once and the
// peer is reported unreachable: Raft resends what matters, and a queue filling up behind a dead peer
// would only delay the moment it is told. The next message after the delay redials.

import net from 'node:net';

import type { NodeId } from '../raft/types.js';
import { formatAddress, type HostPort } from './address.js';
import { backoffDelayMs } from './backoff.js';
import { describeError, ProtocolError } from './errors.js';
import { FramedConnection } from './framed-connection.js';
import type { TcpTransportLimits } from './options.js';
import { SendQueue } from './send-queue.js';
import {
  ConnectionKind,
  decodeRefusal,
  decodeWelcome,
  encodeHello,
  encodeMessageFrames,
  FrameKind,
  frameKindOf,
  pingFrame,
} from './wire.js';

export interface PeerLinkContext {
  readonly localId: NodeId;
  readonly limits: TcpTransportLimits;
  readonly now: () => number;
  readonly random: () => number;
  /** Messages to the peer may have been lost. Called from inside `enqueue` too: the caller defers it. */
  readonly reportUnreachable: (id: NodeId) => void;
  readonly warn: (message: string) => void;
}

export type PeerLinkState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

export interface PeerLinkStats {
  readonly state: PeerLinkState;
  readonly address: string;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  /** Bytes handed to the socket that the kernel has not taken yet. */
  readonly unsentBytes: number;
  readonly sentMessages: number;
  /** Socket writes of message batches: far fewer than messages when batching works. */
  readonly writes: number;
  readonly droppedMessages: number;
  /** Connections that were welcomed by the peer. */
  readonly connections: number;
  /** Connections that failed or were closed for silence. */
  readonly failures: number;
}

export class PeerLink {
  private state: PeerLinkState = 'idle';
  private readonly queue: SendQueue;
  private connection: FramedConnection | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private flushScheduled: NodeJS.Immediate | undefined;
  private waitingForDrain = false;
  /** Failures since the last welcome; drives the backoff. */
  private consecutiveFailures = 0;
  /** Whether the last outcome was a success, so that only changes are logged. */
  private healthy = true;
  private sentMessages = 0;
  private writes = 0;
  private droppedMessages = 0;
  private connections = 0;
  private failures = 0;

  constructor(
    readonly peerId: NodeId,
    readonly address: HostPort,
    private readonly context: PeerLinkContext,
  ) {
    this.queue = new SendQueue(context.limits.queueMessagesMax, context.limits.queueBytesMax);
  }

  /** Queues one encoded message; false when it was dropped (the caller reports the peer unreachable). */
  enqueue(message: Uint8Array): boolean {
    if (this.state === 'closed' || this.state === 'backoff' || !this.queue.push(message)) {
      this.droppedMessages++;
      return false;
    }
    if (this.state === 'idle') this.connect();
    else if (this.state === 'ready') this.scheduleFlush();
    return true;
  }

  /** Called every ping interval: closes a silent connection, otherwise pings. */
  tick(nowMs: number): void {
    const connection = this.connection;
    if (this.state !== 'ready' || connection === undefined) return;
    const silentMs = nowMs - connection.lastReadAtMs;
    if (silentMs > this.context.limits.silenceTimeoutMs) {
      connection.close(new Error(`nothing heard from it for ${Math.round(silentMs)} ms`));
      return;
    }
    // Behind a full socket buffer a ping would only queue up; silence will tell if the peer is gone.
    if (!connection.needsDrain) connection.writeFrame(pingFrame);
  }

  /** Forgives silence that this node caused itself (its event loop was blocked). */
  excuseSilence(nowMs: number): void {
    if (this.connection !== undefined) this.connection.lastReadAtMs = nowMs;
  }

  stats(): PeerLinkStats {
    return {
      state: this.state,
      address: formatAddress(this.address),
      queuedMessages: this.queue.length,
      queuedBytes: this.queue.bytes,
      unsentBytes: this.connection?.unsentBytes ?? 0,
      sentMessages: this.sentMessages,
      writes: this.writes,
      droppedMessages: this.droppedMessages,
      connections: this.connections,
      failures: this.failures,
    };
  }

  /** Stops for good; resolves once the socket is released. */
  close(): Promise<void> {
    const connection = this.connection;
    this.state = 'closed';
    this.clearTimers();
    this.queue.clear();
    this.connection = undefined;
    if (connection === undefined) return Promise.resolve();
    connection.close();
    return connection.released;
  }

  private connect(): void {
    this.state = 'connecting';
    const socket = net.connect({ host: this.address.host, port: this.address.port });
    socket.setNoDelay(true);
    const connection: FramedConnection = new FramedConnection(socket, {
      frameBytesMax: this.context.limits.frameBytesMax,
      now: this.context.now,
      onFrame: (payload) => this.receive(connection, payload),
      onClose: (error) => {
        if (connection === this.connection) this.fail(error === undefined ? 'closed' : describeError(error));
      },
    });
    this.connection = connection;
    // Written before the connection is established: the socket holds them until it is.
    connection.writeRaw(Uint8Array.of(ConnectionKind.raft));
    connection.writeFrame(encodeHello({ from: this.context.localId, to: this.peerId }));
    const timeoutMs = this.context.limits.connectTimeoutMs;
    this.connectTimer = setTimeout(() => {
      if (connection === this.connection && this.state === 'connecting') {
        connection.close(new Error(`not welcomed within ${timeoutMs} ms`));
      }
    }, timeoutMs);
  }

  private receive(connection: FramedConnection, payload: Uint8Array): void {
    if (connection !== this.connection) return;
    const kind = frameKindOf(payload);
    if (this.state === 'connecting') {
      if (kind === FrameKind.refusal)
        throw new ProtocolError(`it refused the connection: ${decodeRefusal(payload)}`);
      if (kind !== FrameKind.welcome)
        throw new ProtocolError(`it sent frame kind ${kind} instead of a welcome`);
      const id = decodeWelcome(payload);
      if (id !== this.peerId) throw new ProtocolError(`the node there is ${id}, not ${this.peerId}`);
      this.becomeReady();
      return;
    }
    if (kind !== FrameKind.pong) throw new ProtocolError(`it sent frame kind ${kind} on an open connection`);
  }

  private becomeReady(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.state = 'ready';
    this.connections++;
    this.consecutiveFailures = 0;
    if (!this.healthy) {
      this.context.warn(`peer ${this.peerId} at ${formatAddress(this.address)} is reachable again`);
      this.healthy = true;
    }
    this.scheduleFlush();
  }

  private fail(reason: string): void {
    if (this.state !== 'connecting' && this.state !== 'ready') return;
    this.clearTimers();
    const connection = this.connection;
    this.connection = undefined;
    connection?.close();
    this.droppedMessages += this.queue.length;
    this.queue.clear();
    this.waitingForDrain = false;
    this.failures++;
    this.consecutiveFailures++;
    if (this.healthy) {
      this.context.warn(`peer ${this.peerId} at ${formatAddress(this.address)} is unreachable: ${reason}`);
      this.healthy = false;
    }
    this.state = 'backoff';
    const { backoffBaseMs, backoffMaxMs } = this.context.limits;
    const delayMs = backoffDelayMs(
      this.consecutiveFailures,
      backoffBaseMs,
      backoffMaxMs,
      this.context.random,
    );
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.state === 'backoff') this.state = 'idle';
    }, delayMs);
    this.backoffTimer.unref();
    this.context.reportUnreachable(this.peerId);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled !== undefined || this.waitingForDrain) return;
    // Deferred to the end of this turn of the event loop, so that messages sent by several callers in
    // the same turn leave in one write.
    this.flushScheduled = setImmediate(() => {
      this.flushScheduled = undefined;
      this.flush();
    });
  }

  private flush(): void {
    const connection = this.connection;
    if (this.state !== 'ready' || connection === undefined) return;
    while (this.queue.length > 0) {
      const batch = this.queue.take(this.context.limits.writeBatchBytesMax);
      const flowing = connection.writeRaw(encodeMessageFrames(batch.messages, batch.bytes));
      this.sentMessages += batch.messages.length;
      this.writes++;
      if (!flowing) {
        this.waitingForDrain = true;
        connection.drained().then(
          () => {
            if (connection !== this.connection) return;
            this.waitingForDrain = false;
            this.flush();
          },
          () => undefined, // the close handler has already dealt with the connection
        );
        return;
      }
    }
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.backoffTimer);
    if (this.flushScheduled !== undefined) clearImmediate(this.flushScheduled);
    this.connectTimer = undefined;
    this.backoffTimer = undefined;
    this.flushScheduled = undefined;
  }
}
