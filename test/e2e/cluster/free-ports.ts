// Free loopback ports for nodes that must keep the same address across restarts: the operating system
// picks each one (listen on port 0), and the port is released at once for the node to take.
import net from 'node:net';

import { ClusterConfigError } from './errors.js';

/** Enough for a handful of nodes with two ports each. */
export const portsPerRequestMax = 32;

/**
 * Returns `count` distinct ports that were free a moment ago. All listeners are open together, so the
 * ports differ from each other; another process could still take one before the node binds it, which the
 * node then reports as an address in use.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1 || count > portsPerRequestMax) {
    throw new ClusterConfigError(`ask for 1 to ${portsPerRequestMax} ports at once; got ${count}.`);
  }
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let index = 0; index < count; index++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('a TCP listener has no port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
