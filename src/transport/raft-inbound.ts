// The receiving end of a peer's Raft connection: checks the hello, answers pings, and hands each decoded
// message to the node. Whatever the peer sends, the worst outcome is a closed connection.

import type { Socket } from 'node:net';

import type { Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { decodeMessage } from './codec.js';
import { describeError, ProtocolError, TransportError } from './errors.js';
import { FramedConnection } from './framed-connection.js';
import type { TcpTransportLimits } from './options.js';
import {
  decodeHello,
  type Hello,
  encodeRefusal,
  encodeWelcome,
  FrameKind,
  frameKindOf,
  pongFrame,
} from './wire.js';

export interface InboundContext {
  readonly localId: NodeId;
  readonly limits: TcpTransportLimits;
  readonly now: () => number;
  readonly warn: (message: string) => void;
}

export interface RaftInboundContext extends InboundContext {
  readonly deliver: (message: Message) => void;
  /** The hello named `peerId`; an older connection from the same peer is now stale. */
  readonly identified: (inbound: RaftInbound) => void;
  readonly closed: (inbound: RaftInbound) => void;
}

export class RaftInbound {
  private peer: NodeId | undefined;
  private readonly openedAtMs: number;
  readonly connection: FramedConnection;

  constructor(
    socket: Socket,
    head: Uint8Array,
    private readonly context: RaftInboundContext,
  ) {
    socket.setNoDelay(true);
    this.openedAtMs = context.now();
    this.connection = new FramedConnection(socket, {
      frameBytesMax: context.limits.frameBytesMax,
      now: context.now,
      onFrame: (payload) => this.receive(payload),
      onClose: (error) => {
        if (error instanceof TransportError) {
          context.warn(`closed the Raft connection from ${this.describePeer()}: ${describeError(error)}`);
        }
        context.closed(this);
      },
    });
    this.connection.receive(head);
  }

  get peerId(): NodeId | undefined {
    return this.peer;
  }

  /** Closes a connection that stayed silent, or that sent no hello in time. */
  tick(nowMs: number): void {
    const { connectTimeoutMs, silenceTimeoutMs } = this.context.limits;
    if (this.peer === undefined && nowMs - this.openedAtMs > connectTimeoutMs) {
      this.connection.close(new ProtocolError(`no hello within ${connectTimeoutMs} ms`));
    } else if (nowMs - this.connection.lastReadAtMs > silenceTimeoutMs) {
      this.connection.close();
    }
  }

  excuseSilence(nowMs: number): void {
    this.connection.lastReadAtMs = nowMs;
  }

  close(): Promise<void> {
    this.connection.close();
    return this.connection.released;
  }

  private receive(payload: Uint8Array): void {
    const peer = this.peer;
    if (peer === undefined) {
      this.greet(payload);
      return;
    }
    const kind = frameKindOf(payload);
    if (kind === FrameKind.message) {
      const message = decodeMessage(payload.subarray(1));
      if (message.from !== peer || message.to !== this.context.localId) {
        throw new ProtocolError(
          `a message from ${message.from} to ${message.to} arrived on the connection from ${peer} to ${this.context.localId}`,
        );
      }
      this.context.deliver(message);
    } else if (kind === FrameKind.ping) {
      this.connection.writeFrame(pongFrame);
    } else {
      throw new ProtocolError(`unexpected frame kind ${kind}`);
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
      this.refuse(`${hello.from} dialed node ${hello.to}, but this is node ${this.context.localId}`);
      return;
    }
    this.peer = hello.from;
    this.connection.writeFrame(encodeWelcome(this.context.localId));
    this.context.identified(this);
  }

  /** Tells the dialer why (so that its log says what is wrong, typically a version mismatch) and hangs up. */
  private refuse(reason: string): void {
    this.connection.writeFrame(encodeRefusal(reason));
    this.context.warn(`refused a connection from ${this.describePeer()}: ${reason}`);
    this.connection.end();
  }

  private describePeer(): string {
    const address = `${this.connection.socket.remoteAddress ?? '?'}:${this.connection.socket.remotePort ?? '?'}`;
    return this.peer === undefined ? address : `node ${this.peer} (${address})`;
  }
}
