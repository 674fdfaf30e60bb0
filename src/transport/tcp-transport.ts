// The Transport over TCP. Each node dials each peer it sends to and keeps that one connection (a
// PeerLink) for its messages; the peer's messages back arrive on the connection the peer dialed. Both
// kinds of connection, and snapshot streams, arrive through the node's Listener. One ticker pings the
// links and closes connections that have gone silent.

import { performance } from 'node:perf_hooks';

import type { InstallSnapshotRequest, Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { parseAddress } from './address.js';
import { encodeMessage } from './codec.js';
import { SnapshotTransferError, TransportClosedError, TransportUsageError } from './errors.js';
import type { Listener } from './listener.js';
import { resolveTcpTransportLimits, type TcpTransportLimits } from './options.js';
import { PeerLink, type PeerLinkContext, type PeerLinkStats } from './peer-link.js';
import { RaftInbound, type RaftInboundContext } from './raft-inbound.js';
import { SnapshotReceiver, type SnapshotReceiverContext } from './snapshot-receiver.js';
import { sendSnapshotOverTcp } from './snapshot-sender.js';
import type { Transport, TransportHandlers } from './transport.js';
import { UnreachableReports } from './unreachable-reports.js';
import { ConnectionKind } from './wire.js';

export interface TcpTransportOptions {
  readonly nodeId: NodeId;
  /** The node's listener; the transport takes the Raft and snapshot connection kinds on it. */
  readonly listener: Listener;
  readonly handlers: TransportHandlers;
  readonly limits?: Partial<TcpTransportLimits>;
  /** Values in [0, 1) for backoff jitter; seed it for repeatable tests. Default Math.random. */
  readonly random?: () => number;
  /** A monotonic clock in milliseconds. Default performance.now. */
  readonly now?: () => number;
  /** Operational warnings: peers becoming unreachable or reachable again, refused connections. */
  readonly warn?: (message: string) => void;
}

export interface TcpTransportStats {
  readonly peers: ReadonlyMap<NodeId, PeerLinkStats>;
  /** Peers with an identified inbound Raft connection. */
  readonly inboundPeers: readonly NodeId[];
  readonly snapshotsSending: number;
  readonly snapshotsReceiving: number;
}

export class TcpTransport implements Transport {
  readonly nodeId: NodeId;
  readonly limits: TcpTransportLimits;
  private readonly listener: Listener;
  private readonly handlers: TransportHandlers;
  private readonly now: () => number;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<RaftInbound>();
  private readonly inboundByPeer = new Map<NodeId, RaftInbound>();
  private readonly receivers = new Set<SnapshotReceiver>();
  private readonly snapshotsSending = new Set<NodeId>();
  private readonly closing = new AbortController();
  private readonly unreachable: UnreachableReports;
  private readonly linkContext: PeerLinkContext;
  private readonly ticker: NodeJS.Timeout;
  private lastTickAtMs: number;
  private snapshotsReceiving = 0;
  private isClosed = false;

  constructor(options: TcpTransportOptions) {
    if (options.nodeId === '') throw new TransportUsageError('a transport needs a non-empty node id');
    this.nodeId = options.nodeId;
    this.limits = resolveTcpTransportLimits(options.limits);
    this.listener = options.listener;
    this.handlers = options.handlers;
    this.now = options.now ?? (() => performance.now());
    const warn = options.warn ?? (() => undefined);
    this.unreachable = new UnreachableReports((id) => {
      if (!this.isClosed) this.handlers.onUnreachable(id);
    });
    this.linkContext = {
      localId: this.nodeId,
      limits: this.limits,
      now: this.now,
      random: options.random ?? Math.random,
      reportUnreachable: (id) => this.unreachable.add(id),
      warn,
    };
    const raftContext: RaftInboundContext = {
      localId: this.nodeId,
      limits: this.limits,
      now: this.now,
      warn,
      deliver: (message) => this.deliver(message),
      identified: (connection) => this.identified(connection),
      closed: (connection) => {
        this.inbound.delete(connection);
        const peer = connection.peerId;
        if (peer !== undefined && this.inboundByPeer.get(peer) === connection)
          this.inboundByPeer.delete(peer);
      },
    };
    const snapshotContext: SnapshotReceiverContext = {
      localId: this.nodeId,
      limits: this.limits,
      now: this.now,
      warn,
      deliver: (message) => this.deliver(message),
      admit: () => {
        if (this.isClosed || this.snapshotsReceiving >= this.limits.snapshotsInboundMax) return false;
        this.snapshotsReceiving++;
        return true;
      },
      release: () => {
        this.snapshotsReceiving--;
      },
      store: (message, data) => this.handlers.onSnapshot(message, data),
      closed: (receiver) => this.receivers.delete(receiver),
    };
    this.listener.route(ConnectionKind.raft, (socket, head) => {
      this.inbound.add(new RaftInbound(socket, head, raftContext));
    });
    this.listener.route(ConnectionKind.snapshot, (socket, head) => {
      this.receivers.add(new SnapshotReceiver(socket, head, snapshotContext));
    });
    this.lastTickAtMs = this.now();
    this.ticker = setInterval(() => this.tick(), this.limits.pingIntervalMs);
    this.ticker.unref();
  }

  send(messages: readonly Message[]): void {
    if (this.isClosed) return;
    for (const message of messages) {
      if (message.to === this.nodeId) {
        throw new TransportUsageError(
          `node ${this.nodeId} tried to send a ${message.type} message to itself`,
        );
      }
      const link = this.links.get(message.to);
      if (link === undefined || !link.enqueue(encodeMessage(message))) this.unreachable.add(message.to);
    }
  }

  setPeer(id: NodeId, address: string): void {
    if (this.isClosed) return;
    if (id === this.nodeId) throw new TransportUsageError(`node ${id} cannot be its own peer`);
    const parsed = parseAddress(address);
    const existing = this.links.get(id);
    if (existing !== undefined) {
      if (existing.address.host === parsed.host && existing.address.port === parsed.port) return;
      void existing.close();
    }
    this.links.set(id, new PeerLink(id, parsed, this.linkContext));
  }

  removePeer(id: NodeId): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    this.links.delete(id);
    void link.close();
  }

  async sendSnapshot(message: InstallSnapshotRequest, data: () => AsyncIterable<Uint8Array>): Promise<void> {
    if (this.isClosed) throw new TransportClosedError('transport');
    const link = this.links.get(message.to);
    if (link === undefined) {
      throw new SnapshotTransferError('SNAPSHOT_UNREACHABLE', `no address is known for node ${message.to}`);
    }
    if (this.snapshotsSending.has(message.to)) {
      throw new SnapshotTransferError(
        'SNAPSHOT_BUSY',
        `a snapshot is already on its way to node ${message.to}`,
      );
    }
    this.snapshotsSending.add(message.to);
    try {
      await sendSnapshotOverTcp({
        address: link.address,
        localId: this.nodeId,
        message,
        data,
        limits: this.limits,
        now: this.now,
        signal: this.closing.signal,
      });
    } finally {
      this.snapshotsSending.delete(message.to);
    }
  }

  stats(): TcpTransportStats {
    return {
      peers: new Map([...this.links].map(([id, link]) => [id, link.stats()])),
      inboundPeers: [...this.inboundByPeer.keys()],
      snapshotsSending: this.snapshotsSending.size,
      snapshotsReceiving: this.snapshotsReceiving,
    };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.ticker);
    this.unreachable.clear();
    this.listener.unroute(ConnectionKind.raft);
    this.listener.unroute(ConnectionKind.snapshot);
    this.closing.abort();
    const released = [
      ...[...this.links.values()].map((link) => link.close()),
      ...[...this.inbound].map((connection) => connection.close()),
      ...[...this.receivers].map((receiver) => receiver.close()),
    ];
    this.links.clear();
    await Promise.all(released);
  }

  private deliver(message: Message): void {
    if (!this.isClosed) this.handlers.onMessage(message);
  }

  /** A newer connection from the same peer replaces the older one, which is probably half dead. */
  private identified(connection: RaftInbound): void {
    const peer = connection.peerId;
    if (peer === undefined) return;
    const previous = this.inboundByPeer.get(peer);
    this.inboundByPeer.set(peer, connection);
    if (previous !== undefined && previous !== connection) void previous.close();
  }

  private tick(): void {
    const nowMs = this.now();
    const sinceLastTickMs = nowMs - this.lastTickAtMs;
    this.lastTickAtMs = nowMs;
    // A tick that comes far too late means this node's event loop was blocked: peers' bytes may be
    // waiting unread in the kernel, so silence measured now would blame them for this node's stall.
    if (sinceLastTickMs > 2 * this.limits.pingIntervalMs) {
      for (const link of this.links.values()) link.excuseSilence(nowMs);
      for (const connection of this.inbound) connection.excuseSilence(nowMs);
      for (const receiver of this.receivers) receiver.excuseSilence(nowMs);
      return;
    }
    for (const link of this.links.values()) link.tick(nowMs);
    for (const connection of this.inbound) connection.tick(nowMs);
    for (const receiver of this.receivers) receiver.tick(nowMs);
  }
}
