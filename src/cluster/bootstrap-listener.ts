// What a node waiting to form a cluster (-bootstrap-expect) runs on its Raft address before it opens:
// a listener that records the notices of other waiting nodes and answers every other cluster method with
// "not a member yet", so that a node probing it knows no cluster runs here. Raft connections find no
// route and are closed; a leader sending to this address retries once the node itself listens. The same
// file holds the calling side, over the cluster RPC client.
import { type HostPort, Listener, RpcClient, RpcRemoteError, RpcServer } from '../transport/index.js';
import {
  type BootstrapNotice,
  type BootstrapPeers,
  type NoticeRegistry,
  parseNotice,
  type ProbeAnswer,
} from './bootstrap.js';
import { clusterMethods } from './service.js';

/** What a waiting node answers to any cluster method but `notify`. */
export class NotAMemberYetError extends Error {
  override readonly name = 'NotAMemberYetError';
  readonly code = 'NOT_A_MEMBER_YET';

  constructor(method: string) {
    super(
      `this node is not a member of a cluster yet: it is waiting for the voters named by -bootstrap-expect ` +
        `(${method} needs a member)`,
    );
  }
}

export class BootstrapListener {
  private constructor(
    private readonly listener: Listener,
    private readonly server: RpcServer,
  ) {}

  /** Binds `bindAddress` (the node's -raft-addr) and records every valid notice in `registry`. */
  static async open(
    bindAddress: string,
    registry: NoticeRegistry,
    options: { readonly warn: (message: string) => void },
  ): Promise<BootstrapListener> {
    const listener = await Listener.open(bindAddress);
    const server = new RpcServer(listener, { warn: options.warn });
    for (const method of Object.values(clusterMethods)) {
      server.handle(method, () => {
        throw new NotAMemberYetError(method);
      });
    }
    server.handle(clusterMethods.notify, (payload) => {
      registry.record(parseNotice(payload));
      return null;
    });
    return new BootstrapListener(listener, server);
  }

  /** The bound address (with the port the system chose when port 0 was asked for). */
  address(): HostPort {
    return this.listener.address();
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.listener.close();
  }
}

/** Probes and notices over the cluster RPC service; each call fails after `callTimeoutMs`. */
export function rpcBootstrapPeers(client: RpcClient, callTimeoutMs: number): BootstrapPeers {
  return {
    async probe(target: string): Promise<ProbeAnswer> {
      try {
        await client.call(target, clusterMethods.meta, null, { timeoutMs: callTimeoutMs });
        return 'member';
      } catch (error) {
        if (error instanceof RpcRemoteError && error.remoteCode === 'NOT_A_MEMBER_YET') return 'waiting';
        return 'silent';
      }
    },
    async notify(target: string, notice: BootstrapNotice): Promise<void> {
      await client.call(target, clusterMethods.notify, notice, { timeoutMs: callTimeoutMs });
    },
  };
}

/** A client for the rounds: connecting to a node that is not up yet fails fast, so a round stays short. */
export function bootstrapRpcClient(callTimeoutMs: number): RpcClient {
  return new RpcClient({ connectTimeoutMs: callTimeoutMs, defaultTimeoutMs: callTimeoutMs });
}
