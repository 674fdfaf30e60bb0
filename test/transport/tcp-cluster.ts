// TCP transports on 127.0.0.1 for tests, with ports chosen by the operating system.

import net from 'node:net';

import type { NodeId } from '../../src/raft/types.js';
import { Listener } from '../../src/transport/listener.js';
import type { TcpTransportLimits } from '../../src/transport/options.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import type { TransportHandlers } from '../../src/transport/transport.js';

export interface TcpNode {
  readonly id: NodeId;
  readonly listener: Listener;
  readonly transport: TcpTransport;
  readonly warnings: string[];
}

/** Limits that make failure detection and redial quick enough for tests. */
export const quickLimits: Partial<TcpTransportLimits> = {
  connectTimeoutMs: 1000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  pingIntervalMs: 50,
  silenceTimeoutMs: 400,
};

export async function startTcpNode(
  id: NodeId,
  handlers: TransportHandlers,
  limits: Partial<TcpTransportLimits> = quickLimits,
  address = '127.0.0.1:0',
): Promise<TcpNode> {
  const listener = await Listener.open(address);
  const warnings: string[] = [];
  try {
    const transport = new TcpTransport({
      nodeId: id,
      listener,
      handlers,
      limits,
      warn: (message) => warnings.push(message),
    });
    return { id, listener, transport, warnings };
  } catch (error) {
    // A listener left open would keep the test process alive after the failure is reported.
    await listener.close();
    throw error;
  }
}

export async function stopTcpNode(node: TcpNode): Promise<void> {
  await node.transport.close();
  await node.listener.close();
}

/** An address on 127.0.0.1 where nothing listens (a port the system handed out and took back). */
export async function deadAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

export function wire(nodes: readonly TcpNode[]): void {
  for (const node of nodes) {
    for (const peer of nodes) if (peer !== node) node.transport.setPeer(peer.id, peer.listener.addressText());
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
