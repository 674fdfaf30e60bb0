// The answering side of the cluster-service RPC. Handlers run concurrently and answer in any order; a
// connection stops being read while it has too many requests in progress or while its answers are not
// being read, so a client cannot make the server buffer without bound.

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

import { describeError, ProtocolError, TransportConfigError } from './errors.js';
import { FramedConnection } from './framed-connection.js';
import type { Listener } from './listener.js';
import { RpcCodec, type RpcFrame } from './rpc-wire.js';
import { ConnectionKind } from './wire.js';

export interface RpcCallContext {
  /** The caller's address as seen by this node, for logs. */
  readonly remoteAddress: string;
  /** Aborted when the caller's connection closes: the answer can no longer be delivered. */
  readonly signal: AbortSignal;
}

/**
 * Answers one call. The payload is whatever the caller sent (validate it); the return value, or what the
 * returned promise resolves to, is the answer. A thrown error reaches the caller as RpcRemoteError with
 * the error's `code` when it has a string one ('INTERNAL' otherwise) and its message.
 */
export type RpcHandler = (payload: unknown, context: RpcCallContext) => unknown;

export interface RpcServerOptions {
  /** The largest request or answer. Default 96 MiB. */
  readonly frameBytesMax?: number;
  /** Requests in progress on one connection before it stops being read. Default 256. */
  readonly requestsInFlightMax?: number;
  /** A connection with no traffic and no request in progress for this long is closed. Default 10 min. */
  readonly idleTimeoutMs?: number;
  readonly warn?: (message: string) => void;
}

/** The code a caller sees when the method has no handler on this node. */
export const unknownMethodCode = 'RPC_UNKNOWN_METHOD';

/** What every connection of one server shares. */
interface ServerShared {
  readonly codec: RpcCodec;
  readonly requestsInFlightMax: number;
  readonly idleTimeoutMs: number;
  readonly warn: (message: string) => void;
  readonly handlerOf: (method: string) => RpcHandler | undefined;
  readonly forget: (connection: ServerConnection) => void;
}

export class RpcServer {
  private readonly handlers = new Map<string, RpcHandler>();
  private readonly connections = new Set<ServerConnection>();
  private isClosed = false;

  constructor(
    private readonly listener: Listener,
    options: RpcServerOptions = {},
  ) {
    const frameBytesMax = options.frameBytesMax ?? 96 * 1024 * 1024;
    const requestsInFlightMax = options.requestsInFlightMax ?? 256;
    const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
    if (!Number.isSafeInteger(requestsInFlightMax) || requestsInFlightMax < 1) {
      throw new TransportConfigError(
        `requestsInFlightMax must be a positive integer, got ${requestsInFlightMax}`,
      );
    }
    if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 1) {
      throw new TransportConfigError(`idleTimeoutMs must be a positive integer, got ${idleTimeoutMs}`);
    }
    const shared: ServerShared = {
      codec: new RpcCodec(frameBytesMax),
      requestsInFlightMax,
      idleTimeoutMs,
      warn: options.warn ?? (() => undefined),
      handlerOf: (method) => (this.isClosed ? undefined : this.handlers.get(method)),
      forget: (connection) => this.connections.delete(connection),
    };
    listener.route(ConnectionKind.rpc, (socket, head) => {
      this.connections.add(new ServerConnection(socket, head, shared));
    });
  }

  /** Registers the handler of `method`, replacing any earlier one. */
  handle(method: string, handler: RpcHandler): void {
    this.handlers.set(method, handler);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.listener.unroute(ConnectionKind.rpc);
    await Promise.all([...this.connections].map((connection) => connection.close()));
  }
}

class ServerConnection {
  private readonly connection: FramedConnection;
  private readonly aborted = new AbortController();
  private readonly remoteAddress: string;
  private inFlight = 0;
  private waitingForDrain = false;

  constructor(
    socket: Socket,
    head: Uint8Array,
    private readonly shared: ServerShared,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.setTimeout(this.shared.idleTimeoutMs, () => {
      if (this.inFlight === 0) this.connection.close();
    });
    this.connection = new FramedConnection(socket, {
      frameBytesMax: this.shared.codec.frameBytesMax,
      now: () => performance.now(),
      onFrame: (payload) => this.receive(payload),
      onClose: (error) => {
        if (error instanceof ProtocolError)
          this.shared.warn(`closed an RPC connection from ${this.remoteAddress}: ${error.message}`);
        this.aborted.abort();
        this.shared.forget(this);
      },
    });
    this.connection.receive(head);
  }

  close(): Promise<void> {
    this.connection.close();
    return this.connection.released;
  }

  private receive(payload: Uint8Array): void {
    const frame = this.shared.codec.decode(payload);
    if (frame.type !== 'request') throw new ProtocolError(`a client sent a ${frame.type} frame`);
    this.inFlight++;
    this.updateReading();
    void this.run(frame.id, frame.method, frame.payload);
  }

  private async run(id: number, method: string, payload: unknown): Promise<void> {
    const answer = await this.answer(id, method, payload);
    this.inFlight--;
    if (this.connection.closed) return;
    let bytes: Uint8Array;
    try {
      bytes = this.shared.codec.encode(answer);
    } catch (error) {
      bytes = this.shared.codec.encode({
        type: 'failure',
        id,
        code: 'RPC_PAYLOAD',
        message: describeError(error),
      });
    }
    if (!this.connection.writeFrame(bytes) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      await this.connection.drained().catch(() => undefined);
      this.waitingForDrain = false;
    }
    this.updateReading();
  }

  private async answer(id: number, method: string, payload: unknown): Promise<RpcFrame> {
    const handler = this.shared.handlerOf(method);
    if (handler === undefined) {
      return {
        type: 'failure',
        id,
        code: unknownMethodCode,
        message: `this node has no RPC method "${method}"`,
      };
    }
    try {
      const value: unknown = await handler(payload, {
        remoteAddress: this.remoteAddress,
        signal: this.aborted.signal,
      });
      return { type: 'success', id, payload: value };
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      return {
        type: 'failure',
        id,
        code: typeof code === 'string' ? code : 'INTERNAL',
        message: describeError(error),
      };
    }
  }

  private updateReading(): void {
    if (this.inFlight >= this.shared.requestsInFlightMax || this.waitingForDrain) this.connection.pause();
    else this.connection.resume();
  }
}
