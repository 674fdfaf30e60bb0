// Starts real dustd processes on 127.0.0.1 for end-to-end tests: each gets a temporary data directory and
// ports chosen by the OS (the test learns them from the process's own log), and is ended by its PID only.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const dustdPath = path.join(repoRoot, 'bin', 'dustd');

export interface DustdOptions {
  /** Extra flags, e.g. ['-on-disk']. */
  readonly flags?: readonly string[];
  /** Reuse a data directory (to restart a node); a new temporary one otherwise. */
  readonly dataDir?: string;
  readonly startTimeoutMs?: number;
}

export class DustdProcess {
  private exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly ownsDataDir: boolean,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  httpUrl = '';

  static async start(options: DustdOptions = {}): Promise<DustdProcess> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'dust-e2e-'));
    const args = [
      '-http-addr',
      '127.0.0.1:0',
      '-raft-addr',
      '127.0.0.1:0',
      ...(options.flags ?? []),
      dataDir,
    ];
    const child = spawn(dustdPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const node = new DustdProcess(child, dataDir, ownsDataDir);
    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      const match = /service listening on (\S+)/.exec(node.output);
      if (match !== null && (await node.isReady(match[1] ?? ''))) {
        node.httpUrl = `http://${match[1]}`;
        return node;
      }
      if (child.exitCode !== null || child.signalCode !== null) break;
      await sleep(25);
    }
    await node.kill('SIGKILL');
    throw new Error(`dustd did not become ready; its output:\n${node.output}`);
  }

  private async isReady(address: string): Promise<boolean> {
    try {
      const response = await fetch(`http://${address}/readyz`);
      return response.status === 200;
    } catch {
      return false;
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('dustd has no PID');
    return this.child.pid;
  }

  /** Sends a signal to this process (by its PID) and waits for it to exit. */
  async kill(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, signal);
    const timer = setTimeout(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, 'SIGKILL');
    }, timeoutMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  /** Kills the process if it still runs and removes the data directory this harness created. */
  async cleanup(): Promise<void> {
    await this.kill('SIGKILL');
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async post(pathAndQuery: string, body: unknown): Promise<{ status: number; text: string; json: unknown }> {
    const response = await fetch(this.httpUrl + pathAndQuery, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: parseOrUndefined(text) };
  }

  async get(pathAndQuery: string): Promise<{ status: number; text: string; json: unknown }> {
    const response = await fetch(this.httpUrl + pathAndQuery);
    const text = await response.text();
    return { status: response.status, text, json: parseOrUndefined(text) };
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs dustd to completion with the given arguments (for command-line tests). */
export function runDustd(
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(dustdPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
