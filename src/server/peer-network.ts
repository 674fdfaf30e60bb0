// This node's side of the node-to-node network: one listening port (-raft-addr) that carries Raft
// messages, snapshot streams and the cluster service, the transport that dials each peer, and the RPC
// client for calls to other nodes. Messages leave through send(); what arrives is handed to the hooks.
import type { MemberAddresses, MemberTable } from '../cluster/members.js';
import { splitMembersHeader, withMembersHeader } from '../cluster/snapshot-stream.js';
import type { StoredSnapshot } from '../log/index.js';
import type { InstallSnapshotRequest, Message, SnapshotReport } from '../raft/index.js';
import { Listener, RpcClient, RpcServer, TcpTransport } from '../transport/index.js';
import type { Logger } from './logger.js';

/** What the network hands to the node. None of these is called from inside send(). */
export interface PeerNetworkHooks {
  step(message: Message): void;
  unreachable(id: string): void;
  snapshotSent(to: string, report: SnapshotReport): void;
  /** Stores a snapshot a leader streamed here; resolves once it is durable. */
  storeSnapshot(
    message: InstallSnapshotRequest,
    members: ReadonlyMap<string, MemberAddresses>,
    image: AsyncIterable<Uint8Array>,
  ): Promise<void>;
  /** The stored snapshot to stream for an installSnapshot message, with the member table to send along. */
  snapshotToSend(index: number): { stored: StoredSnapshot; members: MemberTable } | undefined;
}

/**
 * Test-only dial addresses, `id=host:port,id=host:port`, from DUST_TEST_PEER_ADDRESSES: messages for
 * those peers go to the given address instead of the advertised one, so that a test can put a
 * fault-injecting proxy on each link between two nodes.
 */
export function parseDialOverrides(text: string | undefined): Map<string, string> {
  const overrides = new Map<string, string>();
  if (text === undefined || text.trim() === '') return overrides;
  for (const item of text.split(',')) {
    const separator = item.indexOf('=');
    if (separator <= 0 || separator === item.length - 1) {
      throw new Error(`DUST_TEST_PEER_ADDRESSES: "${item}" is not id=host:port`);
    }
    overrides.set(item.slice(0, separator).trim(), item.slice(separator + 1).trim());
  }
  return overrides;
}

export class PeerNetwork {
  private constructor(
    readonly listener: Listener,
    readonly transport: TcpTransport,
    readonly rpcServer: RpcServer,
    readonly rpcClient: RpcClient,
    private readonly dialOverrides: ReadonlyMap<string, string>,
    private readonly hooks: PeerNetworkHooks,
    private readonly logger: Logger,
  ) {}

  static async open(options: {
    readonly nodeId: string;
    readonly bindAddress: string;
    readonly hooks: PeerNetworkHooks;
    readonly logger: Logger;
    readonly dialOverrides: ReadonlyMap<string, string>;
  }): Promise<PeerNetwork> {
    const { hooks, logger } = options;
    const listener = await Listener.open(options.bindAddress);
    try {
      const transport = new TcpTransport({
        nodeId: options.nodeId,
        listener,
        warn: (message) => logger.warn(message),
        handlers: {
          onMessage: (message) => hooks.step(message),
          onUnreachable: (id) => hooks.unreachable(id),
          onSnapshot: async (message, data) => {
            const { members, image } = await splitMembersHeader(data);
            await hooks.storeSnapshot(message, members, image);
          },
        },
      });
      const rpcServer = new RpcServer(listener, { warn: (message) => logger.warn(message) });
      const rpcClient = new RpcClient();
      return new PeerNetwork(listener, transport, rpcServer, rpcClient, options.dialOverrides, hooks, logger);
    } catch (error) {
      await listener.close();
      throw error;
    }
  }

  /** The port actually bound (the one chosen by the OS when -raft-addr asked for port 0). */
  boundAddress(): string {
    return this.listener.addressText();
  }

  /** Where to dial member `id`: its advertised address, unless a test put a proxy in between. */
  setPeer(id: string, addresses: MemberAddresses): void {
    this.transport.setPeer(id, this.dialOverrides.get(id) ?? addresses.raftAddress);
  }

  /** The address RPC calls to member `id` go to. */
  dialAddress(id: string, addresses: MemberAddresses): string {
    return this.dialOverrides.get(id) ?? addresses.raftAddress;
  }

  send(messages: readonly Message[]): void {
    const plain: Message[] = [];
    for (const message of messages) {
      if (message.type === 'installSnapshot') this.streamSnapshot(message);
      else plain.push(message);
    }
    if (plain.length > 0) this.transport.send(plain);
  }

  async close(): Promise<void> {
    await this.rpcClient.close();
    await this.rpcServer.close();
    await this.transport.close();
    await this.listener.close();
  }

  private streamSnapshot(message: InstallSnapshotRequest): void {
    const source = this.hooks.snapshotToSend(message.snapshot.index);
    if (source === undefined) {
      this.logger.warn(
        `no stored snapshot at index ${message.snapshot.index} to send to ${message.to}; will retry`,
      );
      queueMicrotask(() => this.hooks.snapshotSent(message.to, 'failed'));
      return;
    }
    this.logger.info(
      `sending the snapshot at index ${message.snapshot.index} (${source.stored.dataBytes} bytes) to ${message.to}`,
    );
    this.transport
      .sendSnapshot(message, () => withMembersHeader(source.members, source.stored.stream()))
      .then(
        () => {
          this.logger.info(`snapshot at index ${message.snapshot.index} delivered to ${message.to}`);
          this.hooks.snapshotSent(message.to, 'finished');
        },
        (error: unknown) => {
          this.logger.warn(
            `sending the snapshot to ${message.to} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          this.hooks.snapshotSent(message.to, 'failed');
        },
      );
  }
}
