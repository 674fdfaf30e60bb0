// The cluster service: what nodes ask of each other besides Raft messages, over the same port (-raft-addr).
// A node that is not the leader answers `not_leader` for leader-only methods, except `join`, which it
// passes on to the leader so that a new node may name any member in -join.
import { decodeCommand } from '../command/codec.js';
import type { StatementsCommand } from '../command/types.js';
import { type DataStore, LeaderNotFoundError, type StatementsResponse, StoreError } from '../http/store.js';
import type { RpcCallContext, RpcClient, RpcHandler, RpcServer } from '../transport/index.js';
import { encodeStatementsResponse, ForwardFormatError, fromWireReadOptions } from './forward-codec.js';
import type { MemberAddresses, MemberTable } from './members.js';
import { ClusterServiceCounters } from './service-counters.js';

export const clusterMethods = {
  join: 'cluster.join',
  members: 'cluster.members',
  meta: 'cluster.meta',
  execute: 'cluster.execute',
  query: 'cluster.query',
  request: 'cluster.request',
  remove: 'cluster.remove',
  load: 'cluster.load',
  stepdown: 'cluster.stepdown',
  notify: 'cluster.notify',
  removed: 'cluster.removed',
} as const;

/** What a node tells others about itself (the `meta` method). */
export interface NodeMeta {
  readonly id: string;
  readonly raftAddress: string;
  readonly apiUrl: string;
  readonly version: string;
}

/** A join request: the node's id and addresses, and whether it votes. */
export interface JoinRequest {
  readonly id: string;
  readonly raftAddress: string;
  readonly apiUrl: string;
  readonly voter: boolean;
}

/** What the service needs of the node it runs on. */
export interface ClusterNode {
  meta(): NodeMeta;
  readonly store: DataStore;
  /** The leader's id when this node is the leader or knows it; '' otherwise. */
  leaderId(): string;
  isLeader(): boolean;
  /** Where to call member `id` (its advertised Raft address, or a test's override). */
  dialAddressOf(id: string): string | undefined;
  memberTable(): MemberTable;
  addMember(id: string, addresses: MemberAddresses, voter: boolean): Promise<void>;
  removeMember(id: string): Promise<void>;
  /** Loads a SQLite file through the log (this node must lead). */
  load(image: Uint8Array, signal: AbortSignal): Promise<StatementsResponse>;
  stepdown(targetId: string | undefined, wait: boolean, timeoutMs: number): Promise<void>;
  /**
   * The leader `leaderId` says this node was removed from the cluster. A removed node is not sent the
   * entry that removes it (the leader stops replicating to it at once), so it learns it this way.
   */
  learnRemoved(leaderId: string): void;
}

const joinTimeoutMs = 30_000;

function field(payload: unknown, key: string): unknown {
  if (typeof payload !== 'object' || payload === null) throw new ForwardFormatError('payload is not a map');
  return (payload as Record<string, unknown>)[key];
}

function text(payload: unknown, key: string): string {
  const value = field(payload, key);
  if (typeof value !== 'string') throw new ForwardFormatError(`${key} is not a string`);
  return value;
}

function nonNegative(payload: unknown, key: string): number {
  const value = field(payload, key);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ForwardFormatError(`${key} is not a non-negative number`);
  }
  return value;
}

function statementsCommand(payload: unknown): StatementsCommand {
  const bytes = field(payload, 'command');
  if (!(bytes instanceof Uint8Array)) throw new ForwardFormatError('command is not binary');
  const command = decodeCommand(bytes);
  if (command.kind !== 'statements') throw new ForwardFormatError('only statements can be forwarded');
  return command;
}

export function parseJoinRequest(payload: unknown): JoinRequest {
  const id = text(payload, 'id');
  const raftAddress = text(payload, 'raftAddress');
  if (id === '' || raftAddress === '') throw new ForwardFormatError('a join needs a node id and an address');
  return { id, raftAddress, apiUrl: text(payload, 'apiUrl'), voter: field(payload, 'voter') !== false };
}

export class ClusterService {
  readonly counters = new ClusterServiceCounters();

  constructor(
    private readonly node: ClusterNode,
    private readonly client: RpcClient,
  ) {}

  register(rpcServer: RpcServer): void {
    // Every method registered below is counted as it is called.
    const server = {
      handle: (method: string, handler: RpcHandler): void =>
        rpcServer.handle(method, (payload, context) => {
          this.counters.received(method);
          return handler(payload, context);
        }),
    };
    server.handle(clusterMethods.meta, () => this.node.meta());
    server.handle(clusterMethods.members, () => ({ members: this.node.memberTable() }));
    // Nodes waiting to form a cluster (-bootstrap-expect) notify every target; a member has nothing to
    // wait for, and the sender will find it running and join.
    server.handle(clusterMethods.notify, () => null);
    server.handle(clusterMethods.removed, (payload) => {
      const id = text(payload, 'id');
      if (id !== this.node.meta().id) {
        throw new ForwardFormatError(`a removal notice for node ${id} reached node ${this.node.meta().id}`);
      }
      this.node.learnRemoved(text(payload, 'leaderId'));
      return null;
    });
    server.handle(clusterMethods.join, (payload) => this.join(parseJoinRequest(payload)));
    server.handle(clusterMethods.execute, async (payload, context: RpcCallContext) => {
      const response = await this.node.store.execute(statementsCommand(payload), {
        dbTimeoutMs: nonNegative(payload, 'dbTimeoutMs'),
        signal: context.signal,
      });
      return encodeStatementsResponse(response);
    });
    for (const method of ['query', 'request'] as const) {
      server.handle(clusterMethods[method], async (payload, context: RpcCallContext) => {
        const command = statementsCommand(payload);
        const options = fromWireReadOptions(field(payload, 'options'), context.signal);
        const response = await this.node.store[method](command.statements, options);
        return encodeStatementsResponse(response);
      });
    }
    server.handle(clusterMethods.load, async (payload, context: RpcCallContext) => {
      const image = field(payload, 'image');
      if (!(image instanceof Uint8Array)) throw new ForwardFormatError('image is not binary');
      return encodeStatementsResponse(await this.node.load(image, context.signal));
    });
    server.handle(clusterMethods.remove, async (payload) => {
      this.requireLeader();
      await this.node.removeMember(text(payload, 'id'));
      return null;
    });
    server.handle(clusterMethods.stepdown, async (payload) => {
      this.requireLeader();
      const target = field(payload, 'targetId');
      await this.node.stepdown(
        typeof target === 'string' && target !== '' ? target : undefined,
        field(payload, 'wait') === true,
        nonNegative(payload, 'timeoutMs'),
      );
      return null;
    });
  }

  /** Adds the node on the leader, or passes the request to the leader; answers with the member table. */
  private async join(request: JoinRequest): Promise<{ members: MemberTable }> {
    if (this.node.isLeader()) {
      await this.node.addMember(
        request.id,
        { raftAddress: request.raftAddress, apiUrl: request.apiUrl },
        request.voter,
      );
      return { members: this.node.memberTable() };
    }
    const leaderId = this.node.leaderId();
    const address = leaderId === '' ? undefined : this.node.dialAddressOf(leaderId);
    if (address === undefined) throw new LeaderNotFoundError();
    return (await this.client.call(address, clusterMethods.join, request, { timeoutMs: joinTimeoutMs })) as {
      members: MemberTable;
    };
  }

  private requireLeader(): void {
    if (!this.node.isLeader()) throw new StoreError('not_leader', 'not leader');
  }
}
