// A network of fault proxies between N nodes: one proxy per ordered pair, so that every connection node `from`
// opens to node `to` passes through the proxy (from -> to), and a test can cut any flow of bytes between any two
// nodes in either direction.
//
// A flow "from a to b" travels two ways: as requests on the connections a opens to b (the upstream side of proxy
// a->b) and as responses on the connections b opens to a (the downstream side of proxy b->a). Cutting a flow
// blocks both, so it holds whatever pattern of connections the nodes' transport uses.
//
// Faults add up: each call cuts more, and only `heal()` restores the links. Nodes must be configured to dial
// `addressSeenBy(from, to)` for each peer instead of the peer's real address.

import { FaultClosedError, FaultConfigError, FaultMeshUsageError } from './errors.js';
import { type BlockMode, FaultProxy, type FaultProxyOptions, type TcpAddress } from './tcp-proxy.js';

export interface MeshNode {
  /** A name unique in the mesh, e.g. the node's id. */
  readonly name: string;
  /** The node's real listening address, if known yet; otherwise give it later with `setNodeAddress`. */
  readonly address?: TcpAddress;
}

export interface ProxyMeshOptions {
  /** How `partition` and `isolate` cut links (default `blackhole`). One-way cuts are always black holes. */
  readonly partitionMode?: BlockMode;
  /** Options for every proxy of the mesh. */
  readonly proxy?: Omit<FaultProxyOptions, 'target' | 'listenPort' | 'name'>;
}

/** A mesh of N nodes opens N * (N - 1) listening sockets; this keeps it to what a loopback test needs. */
export const meshNodesMax = 16;

export class ProxyMesh {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly nodeNames: readonly string[],
    private readonly proxies: ReadonlyMap<string, FaultProxy>,
    private readonly partitionMode: BlockMode,
  ) {}

  /** Starts one proxy per ordered pair of distinct nodes. */
  static async start(nodes: readonly MeshNode[], options: ProxyMeshOptions = {}): Promise<ProxyMesh> {
    const names = nodes.map((node) => node.name);
    if (names.length < 2 || names.length > meshNodesMax) {
      throw new FaultConfigError(`a proxy mesh needs from 2 to ${meshNodesMax} nodes; got ${names.length}.`);
    }
    if (names.some((name) => name === '') || new Set(names).size !== names.length) {
      throw new FaultConfigError(
        `mesh node names must be non-empty and distinct; got ${JSON.stringify(names)}.`,
      );
    }
    const partitionMode = options.partitionMode ?? 'blackhole';
    const proxies = new Map<string, FaultProxy>();
    try {
      for (const from of nodes) {
        for (const to of nodes) {
          if (from === to) continue;
          const proxy = await FaultProxy.start({
            ...options.proxy,
            name: `proxy ${from.name}->${to.name}`,
            ...(to.address === undefined ? {} : { target: to.address }),
          });
          proxies.set(linkKey(from.name, to.name), proxy);
        }
      }
    } catch (error) {
      await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
      throw error;
    }
    return new ProxyMesh(names, proxies, partitionMode);
  }

  /** The proxy that carries the connections `from` opens to `to`, for fine-grained faults on one link. */
  proxy(from: string, to: string): FaultProxy {
    this.assertNode(from);
    this.assertNode(to);
    if (from === to) throw new FaultMeshUsageError(`a node has no proxy to itself (${from}).`);
    const proxy = this.proxies.get(linkKey(from, to));
    if (proxy === undefined) throw new Error(`mesh: proxy ${from}->${to} is missing`);
    return proxy;
  }

  /** Records (or changes, after a restart) a node's real address: every proxy into it forwards there. */
  setNodeAddress(node: string, address: TcpAddress): void {
    this.assertOpen();
    for (const from of this.nodeNames) if (from !== node) this.proxy(from, node).setTarget(address);
  }

  /** The address `from` must dial to reach `to` through the mesh. */
  addressSeenBy(from: string, to: string): TcpAddress {
    return this.proxy(from, to).address;
  }

  /** Every peer of `node`, by name, with the address `node` must dial to reach it. */
  peerAddressesSeenBy(node: string): ReadonlyMap<string, TcpAddress> {
    this.assertNode(node);
    const peers = new Map<string, TcpAddress>();
    for (const peer of this.nodeNames) if (peer !== node) peers.set(peer, this.addressSeenBy(node, peer));
    return peers;
  }

  /**
   * Cuts every link between nodes of different groups. Nodes named in no group form one more group together,
   * so `partition([a])` splits `a` from the rest. Links inside a group are left as they are.
   */
  partition(...groups: readonly (readonly string[])[]): void {
    this.assertOpen();
    const groupOf = new Map<string, number>();
    groups.forEach((group, groupIndex) => {
      for (const node of group) {
        this.assertNode(node);
        if (groupOf.has(node)) {
          throw new FaultMeshUsageError(`node ${node} is named in two partition groups.`);
        }
        groupOf.set(node, groupIndex);
      }
    });
    const restGroup = groups.length;
    for (const a of this.nodeNames) {
      for (const b of this.nodeNames) {
        if (a < b && (groupOf.get(a) ?? restGroup) !== (groupOf.get(b) ?? restGroup)) this.cut(a, b);
      }
    }
  }

  /** Cuts `node` off from every other node. */
  isolate(node: string): void {
    this.partition([node]);
  }

  /**
   * Bytes sent by `from` no longer reach `to` (they are held, not lost), while bytes from `to` still reach
   * `from`: for example, a leader that hears its followers but whose appends never arrive.
   */
  oneWay(from: string, to: string): void {
    this.assertOpen();
    this.proxy(from, to).blockDirection('upstream');
    this.proxy(to, from).blockDirection('downstream');
  }

  /** Cuts both ways between `a` and `b` in the mesh's partition mode. */
  cut(a: string, b: string): void {
    this.assertOpen();
    this.proxy(a, b).block({ mode: this.partitionMode });
    this.proxy(b, a).block({ mode: this.partitionMode });
  }

  /** Restores every link; held bytes are delivered. Latency and bandwidth settings are kept. */
  heal(): void {
    this.assertOpen();
    for (const proxy of this.proxies.values()) proxy.unblock();
  }

  /** Sets the one-way delay of every link (see `FaultProxy.setLatencyMs`). */
  setLatencyMs(latencyMs: number, jitterMs = 0): void {
    this.assertOpen();
    for (const proxy of this.proxies.values()) proxy.setLatencyMs(latencyMs, jitterMs);
  }

  /** Closes every proxy; resolves once all their sockets are closed. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.proxies.values()].map((proxy) => proxy.close())).then(
      () => undefined,
    );
    return this.closing;
  }

  private assertNode(node: string): void {
    if (!this.nodeNames.includes(node)) {
      throw new FaultMeshUsageError(
        `unknown mesh node ${JSON.stringify(node)}; the nodes are ${this.nodeNames.join(', ')}.`,
      );
    }
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new FaultClosedError('proxy mesh');
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
