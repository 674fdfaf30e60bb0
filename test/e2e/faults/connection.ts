// One client connection accepted by the proxy and, once the proxy allows it, its connection to the target.
// Each socket feeds one lane (client -> target is `upstream`, target -> client is `downstream`); the sockets are
// half-open capable so that a FIN travels through the lanes like any other byte, after the data before it.

import net from 'node:net';

import { Lane, resetSocket, type DirectionCounters, type LaneConditions } from './lane.js';

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** What a connection needs from the proxy that accepted it. */
export interface ConnectionContext {
  readonly conditions: LaneConditions;
  readonly upstreamCounters: DirectionCounters;
  readonly downstreamCounters: DirectionCounters;
  readonly bufferedBytesMax: number;
  readonly connectTimeoutMs: number;
  /** The target could not be reached: the client was reset. */
  onTargetUnreachable(): void;
}

export class ProxiedConnection {
  private readonly upstreamLane: Lane;
  private downstreamLane: Lane | null = null;
  private targetSocket: net.Socket | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private clientClosed = false;
  private resetByProxy = false;
  private targetClosed = false;
  private resolveFinished: () => void = () => {};
  /** Settles once every socket of this connection is closed. */
  readonly finished: Promise<void>;

  constructor(
    private readonly client: net.Socket,
    private readonly context: ConnectionContext,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    client.setNoDelay(true);
    this.upstreamLane = new Lane(
      'upstream',
      client,
      context.conditions,
      context.upstreamCounters,
      context.bufferedBytesMax,
    );
    client.on('data', (bytes: Buffer) => this.upstreamLane.pushBytes(bytes));
    client.on('end', () => this.upstreamLane.pushEnd());
    // Errors end in 'close', where they are handled; the listener only keeps them from being thrown.
    client.on('error', () => {});
    client.on('close', (hadError: boolean) => {
      this.clientClosed = true;
      this.downstreamLane?.markDestinationGone();
      if (this.targetSocket === null) {
        // Never connected: there is no one to tell, and nothing more will come.
        this.upstreamLane.dispose();
      } else if (hadError || !client.readableEnded) {
        this.upstreamLane.pushReset();
      }
      this.settleIfFinished();
    });
  }

  /** Accepted but not yet connected to the target (the proxy is fully blocked, or has no target yet). */
  get isPending(): boolean {
    return this.targetSocket === null && !this.clientClosed;
  }

  /** Opens the connection to the target; does nothing if it was already opened or the client is gone. */
  connectTo(target: TcpAddress): void {
    if (!this.isPending) return;
    const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    this.targetSocket = socket;
    socket.on('error', () => {});
    this.connectTimer = setTimeout(() => socket.destroy(), this.context.connectTimeoutMs);
    socket.once('connect', () => {
      this.clearConnectTimer();
      socket.setNoDelay(true);
      const downstreamLane = new Lane(
        'downstream',
        socket,
        this.context.conditions,
        this.context.downstreamCounters,
        this.context.bufferedBytesMax,
      );
      this.downstreamLane = downstreamLane;
      if (this.clientClosed) downstreamLane.markDestinationGone();
      else downstreamLane.attachDestination(this.client);
      socket.on('data', (bytes: Buffer) => downstreamLane.pushBytes(bytes));
      socket.on('end', () => downstreamLane.pushEnd());
      this.upstreamLane.attachDestination(socket);
    });
    socket.on('close', (hadError: boolean) => {
      this.clearConnectTimer();
      this.targetClosed = true;
      this.upstreamLane.markDestinationGone();
      if (this.downstreamLane === null) {
        // The target refused, timed out or vanished before the connection opened: the client learns it by a reset.
        if (!this.resetByProxy) this.context.onTargetUnreachable();
        this.upstreamLane.dispose();
        if (!this.client.destroyed) resetSocket(this.client);
      } else if (hadError || !socket.readableEnded) {
        this.downstreamLane.pushReset();
      }
      this.settleIfFinished();
    });
  }

  /** Lets both lanes deliver what the (changed) conditions now allow. */
  pump(): void {
    this.upstreamLane.pump();
    this.downstreamLane?.pump();
  }

  /** Re-stamps waiting chunks with the current latency. */
  retime(): void {
    this.upstreamLane.retime();
    this.downstreamLane?.retime();
  }

  /** Tears the connection down at once: both peers see a reset, and nothing waiting is delivered. */
  reset(): void {
    this.resetByProxy = true;
    this.upstreamLane.dispose();
    this.downstreamLane?.dispose();
    this.clearConnectTimer();
    if (!this.client.destroyed) resetSocket(this.client);
    if (this.targetSocket !== null && !this.targetSocket.destroyed) {
      // A socket still connecting cannot be reset (there is no connection yet); destroying it abandons the attempt.
      if (this.targetSocket.connecting) this.targetSocket.destroy();
      else resetSocket(this.targetSocket);
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private settleIfFinished(): void {
    const targetDone = this.targetSocket === null || this.targetClosed;
    if (this.clientClosed && targetDone) {
      this.upstreamLane.dispose();
      this.downstreamLane?.dispose();
      this.resolveFinished();
    }
  }
}
