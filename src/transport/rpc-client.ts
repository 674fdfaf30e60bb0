// The calling side of the cluster-service RPC: one pooled connection per peer address, shared by all
// calls to that address and kept while it is in use. Every call has a deadline. A call that times out on
// a connection from which nothing at all has arrived since the call was made also closes the
// connection: a black-holed link would otherwise swallow every later call too.

import net from 'node:net';
import { performance } from 'node:perf_hooks';

import { parseAddress, type HostPort } from './address.js';
import {
  describeError,
  ProtocolError,
  RpcAbortedError,
  RpcOverloadedError,
  RpcRemoteError,
  RpcTimeoutError,
  RpcUnreachableError,
  TransportClosedError,
  TransportConfigError,
} from './errors.js';
import { FramedConnection } from './framed-connection.js';
import { RpcCodec } from './rpc-wire.js';
import { ConnectionKind } from './wire.js';

export interface RpcClientOptions {
  /** The largest request or answer. Default 96 MiB, as the Raft transport. */
  readonly frameBytesMax?: number;
  /** Connecting must take less than this. Default 2 s. */
  readonly connectTimeoutMs?: number;
  /** The deadline of calls that give none. Default 10 s. */
  readonly defaultTimeoutMs?: number;
  /** A pooled connection with no call for this long is closed. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Calls waiting for an answer on one connection; more fail with RpcOverloadedError. Default 4096. */
  readonly callsInFlightMax?: number;
  /** Request bytes written but not yet taken by the kernel on one connection. Default 64 MiB. */
  readonly unsentBytesMax?: number;
  readonly now?: () => number;
}

export interface RpcCallOptions {
  /** The call fails with RpcTimeoutError if no answer arrives within this. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface ResolvedOptions {
  readonly frameBytesMax: number;
  readonly connectTimeoutMs: number;
  readonly defaultTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly callsInFlightMax: number;
  readonly unsentBytesMax: number;
  readonly now: () => number;
}

const mebibyte = 1024 * 1024;
const timeoutMsMax = 24 * 3_600_000;

function positive(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new TransportConfigError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

interface PendingCall {
  readonly method: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

export class RpcClient {
  private readonly options: ResolvedOptions;
  private readonly codec: RpcCodec;
  private readonly pool = new Map<string, ClientConnection>();
  private isClosed = false;

  constructor(options: RpcClientOptions = {}) {
    this.options = {
      frameBytesMax: positive('frameBytesMax', options.frameBytesMax ?? 96 * mebibyte, 0xffff_ffff),
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 2000, timeoutMsMax),
      defaultTimeoutMs: positive('defaultTimeoutMs', options.defaultTimeoutMs ?? 10_000, timeoutMsMax),
      idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? 60_000, timeoutMsMax),
      callsInFlightMax: positive('callsInFlightMax', options.callsInFlightMax ?? 4096),
      unsentBytesMax: positive('unsentBytesMax', options.unsentBytesMax ?? 64 * mebibyte),
      now: options.now ?? (() => performance.now()),
    };
    this.codec = new RpcCodec(this.options.frameBytesMax);
  }

  /** Open pooled connections (one per address in use). */
  get connectionCount(): number {
    return this.pool.size;
  }

  /**
   * Calls `method` on the node whose Raft address is `address` and resolves with its answer. Rejects
   * with RpcTimeoutError, RpcUnreachableError, RpcRemoteError, RpcAbortedError, RpcOverloadedError or
   * RpcPayloadError. `payload` and the answer are MessagePack values: bigint and Uint8Array travel
   * exactly; undefined arrives as null.
   */
  async call(
    address: string,
    method: string,
    payload: unknown,
    options: RpcCallOptions = {},
  ): Promise<unknown> {
    if (this.isClosed) throw new TransportClosedError('RPC client');
    const timeoutMs = positive('timeoutMs', options.timeoutMs ?? this.options.defaultTimeoutMs, timeoutMsMax);
    if (options.signal?.aborted === true) throw new RpcAbortedError(address, method);
    const hostPort = parseAddress(address);
    let connection = this.pool.get(address);
    if (connection === undefined || connection.closed) {
      connection = new ClientConnection(address, hostPort, this.options, this.codec, (gone) => {
        if (this.pool.get(address) === gone) this.pool.delete(address);
      });
      this.pool.set(address, connection);
    }
    return connection.call(method, payload, timeoutMs, options.signal);
  }

  /** Fails every waiting call with RpcUnreachableError and closes every connection. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const connections = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(
      connections.map((connection) => connection.close(new TransportClosedError('RPC client'))),
    );
  }
}

class ClientConnection {
  private readonly pending = new Map<number, PendingCall>();
  private readonly connection: FramedConnection;
  private nextId = 1;
  private connected = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(
    private readonly address: string,
    hostPort: HostPort,
    private readonly options: ResolvedOptions,
    private readonly codec: RpcCodec,
    private readonly gone: (connection: ClientConnection) => void,
  ) {
    const socket = net.connect({ host: hostPort.host, port: hostPort.port });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
    });
    this.connection = new FramedConnection(socket, {
      frameBytesMax: options.frameBytesMax,
      now: options.now,
      onFrame: (payload) => this.receive(payload),
      onClose: (error) => this.failPending(error),
    });
    this.connection.writeRaw(Uint8Array.of(ConnectionKind.rpc));
    this.connectTimer = setTimeout(() => {
      this.connection.close(new Error(`could not connect within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  call(
    method: string,
    payload: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (this.pending.size >= this.options.callsInFlightMax) {
      return Promise.reject(
        new RpcOverloadedError(
          `${this.options.callsInFlightMax} calls already wait for answers from ${this.address}`,
        ),
      );
    }
    if (this.connection.unsentBytes > this.options.unsentBytesMax) {
      return Promise.reject(
        new RpcOverloadedError(
          `more than ${this.options.unsentBytesMax} bytes of requests wait to be sent to ${this.address}`,
        ),
      );
    }
    const id = this.nextId++;
    const request = this.codec.encode({ type: 'request', id, method, payload });
    return new Promise<unknown>((resolve, reject) => {
      const startedAtMs = this.options.now();
      const settle = (finish: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        if (this.pending.size === 0) this.startIdleTimer();
        finish();
      };
      const timer = setTimeout(() => {
        settle(() => reject(new RpcTimeoutError(this.address, method, timeoutMs)));
        if (this.connection.lastReadAtMs <= startedAtMs) {
          this.connection.close(new Error(`nothing arrived for ${timeoutMs} ms`));
        }
      }, timeoutMs);
      const onAbort = (): void => settle(() => reject(new RpcAbortedError(this.address, method)));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      });
      clearTimeout(this.idleTimer);
      this.connection.writeFrame(request);
    });
  }

  close(error: Error): Promise<void> {
    this.connection.close(error);
    return this.connection.released;
  }

  private receive(payload: Uint8Array): void {
    const frame = this.codec.decode(payload);
    if (frame.type === 'request') throw new ProtocolError('the server sent a request');
    // An answer to a call that already timed out or was aborted is dropped.
    const call = this.pending.get(frame.id);
    if (call === undefined) return;
    if (frame.type === 'success') call.resolve(frame.payload);
    else call.reject(new RpcRemoteError(this.address, call.method, frame.code, frame.message));
  }

  private failPending(error: Error | undefined): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.idleTimer);
    this.gone(this);
    const problem = error === undefined ? 'the connection closed' : describeError(error);
    for (const call of [...this.pending.values()]) {
      call.reject(
        new RpcUnreachableError(this.address, call.method, this.connected, problem, { cause: error }),
      );
    }
  }

  private startIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.connection.closed) return;
    this.idleTimer = setTimeout(() => this.connection.close(), this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }
}
