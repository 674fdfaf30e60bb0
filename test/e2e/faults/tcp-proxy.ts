// A TCP proxy on 127.0.0.1 that end-to-end tests put between two processes to inject network faults without
// root or packet filters: the process that should be cut off is given the proxy's address instead of its peer's,
// and the test flips the proxy's controls. Every control applies at once to open connections and to new ones.
//
// What each fault means at the TCP level, and where it differs from a real network, is in README.md.

import net from 'node:net';
import { performance } from 'node:perf_hooks';

import { type ConnectionContext, ProxiedConnection, type TcpAddress } from './connection.js';
import { FaultClosedError, FaultConfigError } from './errors.js';
import type { Direction, DirectionCounters, LaneConditions } from './lane.js';
import { ByteRateLimiter } from './rate-limiter.js';

export type { Direction } from './lane.js';
export type { TcpAddress } from './connection.js';

/**
 * `drop`: open connections are reset and new ones are reset as soon as they are accepted.
 * `blackhole`: open connections stay open but nothing crosses them; new ones are accepted and held without
 * reaching the target. Nothing is lost: when unblocked, what was held is delivered in order.
 */
export type BlockMode = 'drop' | 'blackhole';

export interface FaultProxyOptions {
  /** Where accepted connections go. May be left out and given later with `setTarget` (connections wait). */
  readonly target?: TcpAddress;
  /** The port to listen on, on 127.0.0.1; 0 (the default) lets the operating system choose. */
  readonly listenPort?: number;
  /** The most bytes one direction of one connection holds before the proxy stops reading its source. */
  readonly bufferedBytesMax?: number;
  /** The most connections open at once; more are reset when accepted. */
  readonly connectionsMax?: number;
  /** How long connecting to the target may take before the client is reset. */
  readonly connectTimeoutMs?: number;
  /** Source of jitter draws in [0, 1); pass a seeded generator for repeatable delays. */
  readonly random?: () => number;
  /** A label for error messages, e.g. "proxy n1->n2". */
  readonly name?: string;
}

/** Counters for one direction, over every connection since the proxy started. */
export interface DirectionStats {
  readonly receivedBytes: number;
  readonly deliveredBytes: number;
  readonly discardedBytes: number;
  readonly bufferedBytes: number;
  readonly bufferedBytesPeak: number;
}

export interface FaultProxyStats {
  /** Connections accepted and forwarded (or held to be forwarded). */
  readonly connectionsAccepted: number;
  /** Connections reset on arrival: dropping, over `connectionsMax`, or closing. */
  readonly connectionsRefused: number;
  /** Connections whose target could not be reached. */
  readonly connectionsUnreachable: number;
  /** Connections with at least one socket still open. */
  readonly connectionsOpen: number;
  /** Open connections held without a connection to the target. */
  readonly connectionsPending: number;
  readonly upstream: DirectionStats;
  readonly downstream: DirectionStats;
}

/** The default, smallest and largest value of each numeric option. */
export const optionRanges = {
  bufferedBytesMax: { fallback: 256 * 1024, min: 1024, max: 64 * 1024 * 1024 },
  connectionsMax: { fallback: 128, min: 1, max: 10_000 },
  connectTimeoutMs: { fallback: 5_000, min: 1, max: 600_000 },
  listenPort: { fallback: 0, min: 0, max: 65_535 },
} as const;

/** Latency and jitter are capped so that a typo cannot hold a test for hours. */
export const latencyMsMax = 60_000;

export function formatTcpAddress(address: TcpAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export class FaultProxy {
  private readonly connections = new Set<ProxiedConnection>();
  private readonly limiters: Record<Direction, ByteRateLimiter> = {
    upstream: new ByteRateLimiter(),
    downstream: new ByteRateLimiter(),
  };
  private readonly counters: Record<Direction, DirectionCounters> = {
    upstream: emptyCounters(),
    downstream: emptyCounters(),
  };
  private readonly blocked: Record<Direction, boolean> = { upstream: false, downstream: false };
  private dropping = false;
  private latencyMs = 0;
  private jitterMs = 0;
  private target: TcpAddress | null;
  private connectionsAccepted = 0;
  private connectionsRefused = 0;
  private connectionsUnreachable = 0;
  private closing: Promise<void> | null = null;
  private readonly context: ConnectionContext;

  private constructor(
    private readonly server: net.Server,
    readonly address: TcpAddress,
    private readonly settings: Required<Omit<FaultProxyOptions, 'target' | 'listenPort'>>,
    target: TcpAddress | null,
  ) {
    this.target = target;
    const conditions: LaneConditions = {
      isBlocked: (direction) => this.blocked[direction],
      drawDelayMs: () => this.latencyMs + (this.jitterMs > 0 ? this.drawUnit() * this.jitterMs : 0),
      limiter: (direction) => this.limiters[direction],
      nowMs: () => performance.now(),
    };
    this.context = {
      conditions,
      upstreamCounters: this.counters.upstream,
      downstreamCounters: this.counters.downstream,
      bufferedBytesMax: settings.bufferedBytesMax,
      connectTimeoutMs: settings.connectTimeoutMs,
      onTargetUnreachable: () => this.connectionsUnreachable++,
    };
    server.on('connection', (socket) => this.accept(socket));
    // Accept errors (such as running out of file descriptors) leave the listener usable; the client of the
    // failed accept sees its own error, so there is nothing to do here but keep the process alive.
    server.on('error', () => {});
  }

  /** Starts listening on 127.0.0.1; resolves once the port is bound. */
  static async start(options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const name = options.name ?? 'fault proxy';
    const settings = {
      name,
      bufferedBytesMax: checkOption(name, 'bufferedBytesMax', options.bufferedBytesMax),
      connectionsMax: checkOption(name, 'connectionsMax', options.connectionsMax),
      connectTimeoutMs: checkOption(name, 'connectTimeoutMs', options.connectTimeoutMs),
      random: options.random ?? Math.random,
    };
    const listenPort = checkOption(name, 'listenPort', options.listenPort);
    if (options.target !== undefined) checkTarget(name, options.target);
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: listenPort }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') {
      throw new Error(`${name}: listening socket has no TCP address`);
    }
    return new FaultProxy(
      server,
      { host: bound.address, port: bound.port },
      settings,
      options.target ?? null,
    );
  }

  get port(): number {
    return this.address.port;
  }

  /** Where new connections go; `null` until one is given. */
  get currentTarget(): TcpAddress | null {
    return this.target;
  }

  /** Points new connections at `target` (open ones stay with the old one); held connections now proceed. */
  setTarget(target: TcpAddress): void {
    this.assertOpen();
    checkTarget(this.settings.name, target);
    this.target = target;
    this.applyConditions();
  }

  /**
   * Cuts the proxy off in both directions. `blackhole` (the default) freezes traffic like a partition that TCP
   * does not notice; `drop` resets every connection, open and new, like a peer whose host rejects everything.
   */
  block(options: { readonly mode?: BlockMode } = {}): void {
    this.assertOpen();
    const mode = options.mode ?? 'blackhole';
    switch (mode) {
      case 'drop':
        this.dropping = true;
        break;
      case 'blackhole':
        this.blocked.upstream = true;
        this.blocked.downstream = true;
        break;
      default:
        throw new FaultConfigError(
          `${this.settings.name}: block mode must be 'drop' or 'blackhole'; got ${String(mode)}.`,
        );
    }
    this.applyConditions();
  }

  /** Lifts every block, of both modes and both directions; held bytes and connections proceed. */
  unblock(): void {
    this.assertOpen();
    this.dropping = false;
    this.blocked.upstream = false;
    this.blocked.downstream = false;
    this.applyConditions();
  }

  /**
   * Holds the bytes of one direction only (a black hole one way); the other direction keeps flowing. New
   * connections still reach the target, so the open direction works for them too.
   */
  blockDirection(direction: Direction): void {
    this.assertOpen();
    this.blocked[checkDirection(this.settings.name, direction)] = true;
    this.applyConditions();
  }

  unblockDirection(direction: Direction): void {
    this.assertOpen();
    this.blocked[checkDirection(this.settings.name, direction)] = false;
    this.applyConditions();
  }

  /**
   * Delays every chunk, each way, by `latencyMs` plus a uniform draw in [0, `jitterMs`]. Bytes keep their order:
   * a chunk never overtakes the one before it, so jitter shows up as uneven gaps, not reordering. Chunks already
   * waiting are re-stamped with the new delay.
   */
  setLatencyMs(latencyMs: number, jitterMs = 0): void {
    this.assertOpen();
    this.latencyMs = checkMs(this.settings.name, 'latency', latencyMs);
    this.jitterMs = checkMs(this.settings.name, 'jitter', jitterMs);
    for (const connection of this.connections) connection.retime();
  }

  /** Caps the throughput of each direction, shared by all connections; `null` removes the cap. */
  setBandwidthBytesPerSecond(bytesPerSecond: number | null): void {
    this.assertOpen();
    const nowMs = performance.now();
    this.limiters.upstream.setRate(bytesPerSecond, nowMs);
    this.limiters.downstream.setRate(bytesPerSecond, nowMs);
    this.applyConditions();
  }

  /** Resets every open connection (both peers see ECONNRESET); the proxy keeps accepting new ones. */
  resetConnections(): void {
    this.assertOpen();
    for (const connection of this.connections) connection.reset();
  }

  stats(): FaultProxyStats {
    let connectionsPending = 0;
    for (const connection of this.connections) if (connection.isPending) connectionsPending++;
    return {
      connectionsAccepted: this.connectionsAccepted,
      connectionsRefused: this.connectionsRefused,
      connectionsUnreachable: this.connectionsUnreachable,
      connectionsOpen: this.connections.size,
      connectionsPending,
      upstream: { ...this.counters.upstream },
      downstream: { ...this.counters.downstream },
    };
  }

  /** Stops listening, resets every connection and resolves once every socket the proxy opened is closed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const connectionsFinished = [...this.connections].map((connection) => connection.finished);
      for (const connection of this.connections) connection.reset();
      await Promise.all([serverClosed, ...connectionsFinished]);
    })();
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    if (this.closing !== null || this.dropping || this.connections.size >= this.settings.connectionsMax) {
      this.connectionsRefused++;
      socket.on('error', () => {});
      socket.resetAndDestroy();
      return;
    }
    this.connectionsAccepted++;
    const connection = new ProxiedConnection(socket, this.context);
    this.connections.add(connection);
    void connection.finished.then(() => this.connections.delete(connection));
    if (this.mayConnect() && this.target !== null) connection.connectTo(this.target);
  }

  /** A handshake needs both directions, so a proxy blocked both ways holds new connections instead of connecting. */
  private mayConnect(): boolean {
    return !this.dropping && !(this.blocked.upstream && this.blocked.downstream);
  }

  private applyConditions(): void {
    for (const connection of this.connections) {
      if (this.dropping) {
        connection.reset();
        continue;
      }
      if (connection.isPending && this.mayConnect() && this.target !== null) {
        connection.connectTo(this.target);
      }
      connection.pump();
    }
  }

  private drawUnit(): number {
    const draw = this.settings.random();
    if (!(draw >= 0 && draw < 1)) {
      throw new Error(
        `${this.settings.name}: the random source returned ${draw}; it must return numbers in [0, 1)`,
      );
    }
    return draw;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new FaultClosedError(this.settings.name);
  }
}

function emptyCounters(): DirectionCounters {
  return { receivedBytes: 0, deliveredBytes: 0, discardedBytes: 0, bufferedBytes: 0, bufferedBytesPeak: 0 };
}

function checkOption(name: string, option: keyof typeof optionRanges, value: number | undefined): number {
  const range = optionRanges[option];
  const chosen = value ?? range.fallback;
  if (!Number.isInteger(chosen) || chosen < range.min || chosen > range.max) {
    throw new FaultConfigError(
      `${name}: ${option} must be an integer from ${range.min} to ${range.max}; got ${String(value)}.`,
    );
  }
  return chosen;
}

function checkMs(name: string, what: string, valueMs: number): number {
  if (!Number.isFinite(valueMs) || valueMs < 0 || valueMs > latencyMsMax) {
    throw new FaultConfigError(
      `${name}: ${what} must be a number of milliseconds from 0 to ${latencyMsMax}; got ${String(valueMs)}.`,
    );
  }
  return valueMs;
}

function checkDirection(name: string, direction: Direction): Direction {
  if (direction !== 'upstream' && direction !== 'downstream') {
    throw new FaultConfigError(
      `${name}: direction must be 'upstream' or 'downstream'; got ${String(direction)}.`,
    );
  }
  return direction;
}

function checkTarget(name: string, target: TcpAddress): void {
  if (typeof target.host !== 'string' || target.host === '') {
    throw new FaultConfigError(`${name}: the target needs a host, such as 127.0.0.1.`);
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65_535) {
    throw new FaultConfigError(
      `${name}: the target port must be an integer from 1 to 65535; got ${target.port}.`,
    );
  }
}
