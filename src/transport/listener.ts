// The node's one TCP listener on its Raft address. Three kinds of connection share it (Raft messages,
// cluster RPCs, snapshot streams), so that a cluster needs one port per node, not three. The dialer's
// first byte says which kind a connection is; the listener reads it and hands the socket, with whatever
// else arrived in the same chunk, to the part registered for that kind.

import net, { type Socket } from 'node:net';

import { formatAddress, parseAddress, type HostPort } from './address.js';
import { TransportClosedError, TransportConfigError, TransportUsageError } from './errors.js';
import { isConnectionKind, type ConnectionKind } from './wire.js';

/** Takes over a connection; `head` holds the bytes that followed the kind byte in the first chunk. */
export type ConnectionAcceptor = (socket: Socket, head: Buffer) => void;

export interface ListenerOptions {
  /** Connections open at once, of all kinds; more are closed as they arrive. Default 1024. */
  readonly connectionsMax?: number;
  /** A connection that sends no byte for this long is closed before it is routed. Default 5 s. */
  readonly firstByteTimeoutMs?: number;
}

export interface ListenerStats {
  readonly connectionsAccepted: number;
  /** Closed before routing: an unknown first byte, no route for the kind, or nothing sent in time. */
  readonly connectionsRejected: number;
  readonly connectionsOpen: number;
}

export class Listener {
  private readonly routes = new Map<ConnectionKind, ConnectionAcceptor>();
  private readonly sockets = new Set<Socket>();
  private isClosed = false;
  private accepted = 0;
  private rejected = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly firstByteTimeoutMs: number,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Binds `address` (`host:port`; port 0 lets the operating system choose). */
  static async open(address: string, options: ListenerOptions = {}): Promise<Listener> {
    const { host, port } = parseAddress(address);
    const connectionsMax = options.connectionsMax ?? 1024;
    const firstByteTimeoutMs = options.firstByteTimeoutMs ?? 5000;
    if (!Number.isSafeInteger(connectionsMax) || connectionsMax < 1) {
      throw new TransportConfigError(`connectionsMax must be a positive integer, got ${connectionsMax}`);
    }
    if (!Number.isSafeInteger(firstByteTimeoutMs) || firstByteTimeoutMs < 1) {
      throw new TransportConfigError(
        `firstByteTimeoutMs must be a positive integer, got ${firstByteTimeoutMs}`,
      );
    }
    const server = net.createServer({ noDelay: true });
    server.maxConnections = connectionsMax;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new Listener(server, firstByteTimeoutMs);
  }

  /** The bound address, with the port the operating system chose when 0 was asked for. */
  address(): HostPort {
    const bound = this.server.address();
    if (bound === null || typeof bound === 'string') throw new TransportClosedError('listener');
    return { host: bound.address, port: bound.port };
  }

  /** `address()` as `host:port`, ready to hand to peers on the same host. */
  addressText(): string {
    return formatAddress(this.address());
  }

  route(kind: ConnectionKind, acceptor: ConnectionAcceptor): void {
    if (this.isClosed) throw new TransportClosedError('listener');
    if (this.routes.has(kind)) throw new TransportUsageError(`connection kind ${kind} already has a route`);
    this.routes.set(kind, acceptor);
  }

  unroute(kind: ConnectionKind): void {
    this.routes.delete(kind);
  }

  stats(): ListenerStats {
    return {
      connectionsAccepted: this.accepted,
      connectionsRejected: this.rejected,
      connectionsOpen: this.sockets.size,
    };
  }

  /** Stops listening and closes every connection it accepted, routed or not. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.routes.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const released = [...this.sockets].map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.closed) resolve();
          else socket.once('close', () => resolve());
          socket.destroy();
        }),
    );
    await Promise.all([closed, ...released]);
  }

  private accept(socket: Socket): void {
    if (this.isClosed) {
      socket.destroy();
      return;
    }
    this.accepted++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // Errors after routing are handled by the owner; this one keeps an early reset from being unhandled.
    socket.on('error', () => undefined);
    const timer = setTimeout(() => this.reject(socket), this.firstByteTimeoutMs);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      const kind = chunk[0];
      const acceptor = kind !== undefined && isConnectionKind(kind) ? this.routes.get(kind) : undefined;
      if (acceptor === undefined) {
        this.reject(socket);
        return;
      }
      acceptor(socket, chunk.subarray(1));
    });
    socket.once('close', () => clearTimeout(timer));
  }

  private reject(socket: Socket): void {
    this.rejected++;
    socket.destroy();
  }
}
