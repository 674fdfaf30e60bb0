// Forwarding to the leader: the LeaderProxy the HTTP layer uses when this node is not the leader and the
// client did not ask for `redirect`. Calls go over the cluster service to the leader's Raft address; the
// leader's own answer (results, or the failure it reported) comes back as if this node had served it.
import { encodeCommand } from '../command/codec.js';
import type { Statement, StatementsCommand } from '../command/types.js';
import {
  type ExecuteOptions,
  type Forwarded,
  type ForwardOptions,
  type LeaderHint,
  LeaderNotFoundError,
  type LeaderProxy,
  type ReadOptions,
  ShuttingDownError,
  type StatementsResponse,
  StoreError,
  StoreTimeoutError,
} from '../http/store.js';
import { RpcRemoteError, RpcTimeoutError, RpcUnreachableError, type RpcClient } from '../transport/index.js';
import { decodeStatementsResponse, toWireReadOptions } from './forward-codec.js';
import { clusterMethods } from './service.js';

/** The leader's failure, as the client should read it. */
function fromRemote(error: RpcRemoteError): StoreError {
  switch (error.remoteCode) {
    // The leader changed between this node's view and the call: no leader can be named right now.
    case 'not_leader':
    case 'leader_not_found':
      return new LeaderNotFoundError();
    case 'timeout':
      return new StoreTimeoutError(error.remoteMessage);
    case 'shutting_down':
      return new ShuttingDownError();
    default:
      return new StoreError('failed', error.remoteMessage, { cause: error });
  }
}

export class RpcLeaderProxy implements LeaderProxy {
  constructor(private readonly client: RpcClient) {}

  async execute(
    command: StatementsCommand,
    options: ExecuteOptions,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>> {
    const payload = { command: encodeCommand(command), dbTimeoutMs: options.dbTimeoutMs };
    return this.callForResults(clusterMethods.execute, payload, leader, forward);
  }

  query(
    statements: readonly Statement[],
    options: ReadOptions,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>> {
    return this.callForResults(
      clusterMethods.query,
      this.readPayload('query', statements, options),
      leader,
      forward,
    );
  }

  request(
    statements: readonly Statement[],
    options: ReadOptions,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>> {
    return this.callForResults(
      clusterMethods.request,
      this.readPayload('request', statements, options),
      leader,
      forward,
    );
  }

  load(
    image: Uint8Array,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>> {
    return this.callForResults(clusterMethods.load, { image }, leader, forward);
  }

  async remove(nodeId: string, leader: LeaderHint, forward: ForwardOptions): Promise<Forwarded<void>> {
    const servedBy = await this.call(clusterMethods.remove, { id: nodeId }, leader, forward);
    return { value: undefined, servedBy: servedBy.address };
  }

  async stepdown(
    request: { readonly wait: boolean; readonly targetId: string | undefined },
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<void>> {
    const payload = { wait: request.wait, targetId: request.targetId ?? '', timeoutMs: forward.timeoutMs };
    const servedBy = await this.call(clusterMethods.stepdown, payload, leader, forward);
    return { value: undefined, servedBy: servedBy.address };
  }

  private readPayload(
    mode: 'query' | 'request',
    statements: readonly Statement[],
    options: ReadOptions,
  ): Record<string, unknown> {
    const command: StatementsCommand = {
      kind: 'statements',
      mode,
      statements,
      transaction: options.transaction,
    };
    return { command: encodeCommand(command), options: toWireReadOptions(options) };
  }

  private async callForResults(
    method: string,
    payload: unknown,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<Forwarded<StatementsResponse>> {
    const { answer, address } = await this.call(method, payload, leader, forward);
    return { value: decodeStatementsResponse(answer), servedBy: address };
  }

  /** One call, retried `forward.retries` times when the leader could not be reached at all. */
  private async call(
    method: string,
    payload: unknown,
    leader: LeaderHint,
    forward: ForwardOptions,
  ): Promise<{ answer: unknown; address: string }> {
    const address = leader.address;
    if (address === undefined || address === '') throw new LeaderNotFoundError();
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.client.call(address, method, payload, {
          timeoutMs: Math.max(1, forward.timeoutMs),
          signal: forward.signal,
        });
        return { answer, address };
      } catch (error) {
        if (error instanceof RpcRemoteError) throw fromRemote(error);
        if (error instanceof RpcUnreachableError && !error.sent) {
          if (attempt < forward.retries) continue;
          throw new LeaderNotFoundError();
        }
        // Once the request has left, the leader may have carried it out before the connection broke:
        // the client must be told the outcome is unknown, never that it failed.
        if (error instanceof RpcUnreachableError) {
          throw new StoreError(
            'failed',
            `the connection to the leader at ${address} broke before it answered; the request may or may not have been carried out`,
            { cause: error },
          );
        }
        if (error instanceof RpcTimeoutError) {
          throw new StoreTimeoutError(`the leader at ${address} did not answer in time: ${error.message}`);
        }
        throw error;
      }
    }
  }
}
