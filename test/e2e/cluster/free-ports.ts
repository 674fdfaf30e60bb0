// Free loopback ports for nodes that must keep the same address across restarts. A port is taken from
// below the range the operating system hands out for outgoing connections: a port it picked for a
// listener (port 0) and released at once could be given to one of the many client connections the nodes
// open before the node that was to bind it starts (seen as "address already in use" in CI). Each
// candidate is checked by listening on it, and released at once for the node to take.
import fs from 'node:fs';
import net from 'node:net';

import { ClusterConfigError } from './errors.js';

const lowestPort = 20_000;
const attemptsPerPortMax = 200;

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
  const highestPort = ephemeralRangeStart() - 1;
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < count) {
      let port: number | undefined;
      for (let attempt = 0; attempt < attemptsPerPortMax && port === undefined; attempt++) {
        const candidate = lowestPort + Math.floor(Math.random() * (highestPort - lowestPort + 1));
        if (ports.includes(candidate)) continue;
        const server = await listenOn(candidate);
        if (server === undefined) continue;
        servers.push(server);
        port = candidate;
      }
      if (port === undefined) {
        throw new ClusterConfigError(`no free port found between ${lowestPort} and ${highestPort}`);
      }
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** A listener on `port`, or undefined when the port is taken. */
function listenOn(port: number): Promise<net.Server | undefined> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

/** The first port of Linux's range for outgoing connections (32768 where it cannot be read). */
function ephemeralRangeStart(): number {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const start = Number(low);
    if (Number.isInteger(start) && start > lowestPort + 1000) return start;
  } catch {
    // Not Linux, or not readable: the usual default.
  }
  return 32_768;
}
