// An in-process Transport for unit tests of the node's loop: a MemoryNetwork routes messages between the
// transports attached to it, with switches to cut links, drop messages by a rule, and wait until
// everything in flight has arrived. It keeps the TCP transport's contract (per-pair order, unreachable
// reports, snapshots then their message, handlers never called from inside a method), and every message
// goes through the wire codec, so that nothing is shared between nodes by reference.

import type { InstallSnapshotRequest, Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { decodeMessage, encodeMessage } from './codec.js';
import {
  describeError,
  SnapshotTransferError,
  TransportClosedError,
  TransportConfigError,
  TransportUsageError,
} from './errors.js';
import type { Transport, TransportHandlers } from './transport.js';
import { UnreachableReports } from './unreachable-reports.js';

/**
 * How a cut link behaves: `blackhole` drops messages silently (a partition, noticed by nobody), `refuse`
 * drops them and reports the peer unreachable at once (a crashed peer, or a firewall that rejects).
 */
export type CutMode = 'blackhole' | 'refuse';

export interface MemoryNetworkOptions {
  /** Messages in flight on one directed link; more are dropped and reported. Default 10,000. */
  readonly linkMessagesMax?: number;
}

export interface MemoryNetworkStats {
  readonly delivered: number;
  /** Dropped by a cut, the drop rule, a full link or a closed receiver. */
  readonly dropped: number;
}

interface Link {
  readonly queue: Message[];
  scheduled: boolean;
}

export class MemoryNetwork {
  private readonly endpoints = new Map<string, MemoryTransport>();
  private readonly links = new Map<string, Link>();
  private readonly cuts = new Map<string, CutMode>();
  private dropRule: ((message: Message) => boolean) | undefined;
  private readonly linkMessagesMax: number;
  private delivered = 0;
  private dropped = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: MemoryNetworkOptions = {}) {
    this.linkMessagesMax = options.linkMessagesMax ?? 10_000;
    if (!Number.isSafeInteger(this.linkMessagesMax) || this.linkMessagesMax < 1) {
      throw new TransportConfigError(
        `linkMessagesMax must be a positive integer, got ${this.linkMessagesMax}`,
      );
    }
  }

  /** Creates node `nodeId`'s transport, reachable by peers at `address`. */
  attach(nodeId: NodeId, address: string, handlers: TransportHandlers): MemoryTransport {
    if (nodeId === '') throw new TransportUsageError('a transport needs a non-empty node id');
    const existing = this.endpoints.get(address);
    if (existing !== undefined && !existing.closed) {
      throw new TransportUsageError(`address ${address} is already taken by node ${existing.nodeId}`);
    }
    const transport = new MemoryTransport(nodeId, address, handlers, this);
    this.endpoints.set(address, transport);
    return transport;
  }

  /** Cuts both directions between `a` and `b`. */
  cut(a: NodeId, b: NodeId, mode: CutMode = 'blackhole'): void {
    this.cutOneWay(a, b, mode);
    this.cutOneWay(b, a, mode);
  }

  /** What `from` sends never reaches `to`; `to` still reaches `from`. */
  cutOneWay(from: NodeId, to: NodeId, mode: CutMode = 'blackhole'): void {
    this.cuts.set(linkKey(from, to), mode);
  }

  /** Cuts `id` off from every node attached now. */
  isolate(id: NodeId, mode: CutMode = 'blackhole'): void {
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.nodeId !== id) this.cut(id, endpoint.nodeId, mode);
    }
  }

  /** Restores every link and removes the drop rule. */
  heal(): void {
    this.cuts.clear();
    this.dropRule = undefined;
  }

  /** Messages for which `rule` returns true are dropped silently (undefined removes the rule). */
  setDropRule(rule: ((message: Message) => boolean) | undefined): void {
    this.dropRule = rule;
  }

  stats(): MemoryNetworkStats {
    return { delivered: this.delivered, dropped: this.dropped };
  }

  /** Resolves once no message is in flight anywhere (deliveries may send more; those are waited for too). */
  settle(): Promise<void> {
    if (this.inFlight() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** @returns the cut mode between the two nodes, if the link is cut. */
  cutBetween(from: NodeId, to: NodeId): CutMode | undefined {
    return this.cuts.get(linkKey(from, to));
  }

  /** The open transport at `address` if it is node `id`. */
  endpointOf(address: string, id: NodeId): MemoryTransport | undefined {
    const endpoint = this.endpoints.get(address);
    return endpoint !== undefined && !endpoint.closed && endpoint.nodeId === id ? endpoint : undefined;
  }

  detach(transport: MemoryTransport): void {
    if (this.endpoints.get(transport.address) === transport) this.endpoints.delete(transport.address);
  }

  /**
   * Puts an encoded copy of `message` on its link. Returns 'unreachable' when the sender must report the
   * peer (refusing cut, full link); a silent drop returns 'sent' as a black hole would.
   */
  route(message: Message, target: MemoryTransport): 'sent' | 'unreachable' {
    const cut = this.cutBetween(message.from, message.to);
    if (cut !== undefined || this.dropRule?.(message) === true) {
      this.dropped++;
      return cut === 'refuse' ? 'unreachable' : 'sent';
    }
    const key = linkKey(message.from, message.to);
    let link = this.links.get(key);
    if (link === undefined) {
      link = { queue: [], scheduled: false };
      this.links.set(key, link);
    }
    if (link.queue.length >= this.linkMessagesMax) {
      this.dropped++;
      return 'unreachable';
    }
    link.queue.push(decodeMessage(encodeMessage(message)));
    if (!link.scheduled) {
      link.scheduled = true;
      const queued = link;
      setImmediate(() => this.deliver(queued, target));
    }
    return 'sent';
  }

  private deliver(link: Link, target: MemoryTransport): void {
    link.scheduled = false;
    const messages = link.queue.splice(0, link.queue.length);
    for (const message of messages) {
      // A link cut while the message was in flight loses it, as a partition would.
      if (target.closed || this.cutBetween(message.from, message.to) !== undefined) {
        this.dropped++;
        continue;
      }
      this.delivered++;
      target.receive(message);
    }
    if (this.inFlight() === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private inFlight(): number {
    let count = 0;
    for (const link of this.links.values()) count += link.queue.length;
    return count;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return JSON.stringify([from, to]);
}

export class MemoryTransport implements Transport {
  private readonly peers = new Map<NodeId, string>();
  private readonly unreachable: UnreachableReports;
  private readonly snapshotsSending = new Set<NodeId>();
  private isClosed = false;

  constructor(
    readonly nodeId: NodeId,
    readonly address: string,
    private readonly handlers: TransportHandlers,
    private readonly network: MemoryNetwork,
  ) {
    this.unreachable = new UnreachableReports((id) => {
      if (!this.isClosed) this.handlers.onUnreachable(id);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(messages: readonly Message[]): void {
    if (this.isClosed) return;
    for (const message of messages) {
      if (message.to === this.nodeId) {
        throw new TransportUsageError(
          `node ${this.nodeId} tried to send a ${message.type} message to itself`,
        );
      }
      const target = this.target(message.to);
      if (target === undefined || this.network.route(message, target) === 'unreachable') {
        this.unreachable.add(message.to);
      }
    }
  }

  setPeer(id: NodeId, address: string): void {
    if (id === this.nodeId) throw new TransportUsageError(`node ${id} cannot be its own peer`);
    this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  async sendSnapshot(message: InstallSnapshotRequest, data: () => AsyncIterable<Uint8Array>): Promise<void> {
    if (this.isClosed) throw new TransportClosedError('transport');
    const to = message.to;
    if (this.snapshotsSending.has(to)) {
      throw new SnapshotTransferError('SNAPSHOT_BUSY', `a snapshot is already on its way to node ${to}`);
    }
    this.snapshotsSending.add(to);
    try {
      // Handlers run on a later turn, never inside this call.
      await new Promise((resolve) => setImmediate(resolve));
      const target = this.reachable(to);
      let sourceError: unknown;
      let consumed = false;
      const copies = async function* (): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of data()) yield new Uint8Array(chunk);
        } catch (error) {
          sourceError = error;
          throw new SnapshotTransferError(
            'SNAPSHOT_SOURCE',
            `reading the stored snapshot failed: ${describeError(error)}`,
          );
        }
        consumed = true;
      };
      try {
        await target.storeSnapshot(message, copies());
      } catch (error) {
        if (sourceError !== undefined) {
          throw new SnapshotTransferError(
            'SNAPSHOT_SOURCE',
            `reading the stored snapshot failed: ${describeError(sourceError)}`,
            {
              cause: sourceError,
            },
          );
        }
        throw new SnapshotTransferError(
          'SNAPSHOT_REJECTED',
          `node ${to} did not take the snapshot: ${describeError(error)}`,
        );
      }
      if (!consumed) {
        throw new SnapshotTransferError(
          'SNAPSHOT_REJECTED',
          `node ${to} finished storing before reading the whole snapshot`,
        );
      }
      if (this.isClosed) throw new TransportClosedError('transport');
      this.reachable(to).receive(message);
    } finally {
      this.snapshotsSending.delete(to);
    }
  }

  close(): Promise<void> {
    this.isClosed = true;
    this.unreachable.clear();
    this.network.detach(this);
    return Promise.resolve();
  }

  /** Called by the network: a message arrives. */
  receive(message: Message): void {
    if (!this.isClosed) this.handlers.onMessage(message);
  }

  /** Called by a peer's transport: a snapshot arrives. */
  storeSnapshot(message: InstallSnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.isClosed) return Promise.reject(new TransportClosedError('transport'));
    return this.handlers.onSnapshot(message, data);
  }

  private target(id: NodeId): MemoryTransport | undefined {
    const address = this.peers.get(id);
    return address === undefined ? undefined : this.network.endpointOf(address, id);
  }

  /** The peer's transport, or the error a TCP transport would give for a peer that cannot be reached. */
  private reachable(id: NodeId): MemoryTransport {
    const target = this.target(id);
    if (target === undefined || this.network.cutBetween(this.nodeId, id) !== undefined) {
      throw new SnapshotTransferError('SNAPSHOT_UNREACHABLE', `node ${id} cannot be reached`);
    }
    return target;
  }
}
