// One node of a test cluster: its fixed addresses and data directory, and the process currently running
// for it. The addresses and directory outlive the process, so a killed node restarts as the same member.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ClusterUsageError } from './errors.js';
import { pickFreePorts } from './free-ports.js';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How much of a node's output is kept, over all its restarts: enough for the tail of a failing run. */
export const outputCharsMax = 512 * 1024;

export class ClusterNode {
  private child: ChildProcess | null = null;
  private exit: Promise<ExitStatus> | null = null;
  private outputText = '';
  private startCount = 0;
  /** True between SIGSTOP and SIGCONT. */
  paused = false;

  constructor(
    /** The Raft node ID, "1", "2", ... */
    readonly id: string,
    /** `127.0.0.1:port` of the HTTP API. */
    readonly httpAddress: string,
    /** `127.0.0.1:port` the node listens on for other nodes. */
    readonly raftAddress: string,
    readonly dataDir: string,
  ) {}

  get apiUrl(): string {
    return `http://${this.httpAddress}`;
  }

  /** Whether a process for this node has been started and has not exited (it may be paused). */
  get running(): boolean {
    const child = this.child;
    return child !== null && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Running and not paused: able to answer requests. */
  get serving(): boolean {
    return this.running && !this.paused;
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running)
      throw new ClusterUsageError(`node ${this.id} has no running process.`);
    return pid;
  }

  /** Starts a process for this node; the previous one must have exited. */
  launch(executable: string, args: readonly string[], environment: NodeJS.ProcessEnv): void {
    if (this.running) throw new ClusterUsageError(`node ${this.id} is already running (PID ${this.pid}).`);
    this.startCount++;
    this.record(`\n===== node ${this.id}, start ${this.startCount}: ${args.join(' ')} =====\n`);
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], env: environment });
    this.child = child;
    this.paused = false;
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.record(`===== node ${this.id} exited: code ${String(code)}, signal ${String(signal)} =====\n`);
        resolve({ code, signal });
      });
      // A process that could not be spawned has no PID and never emits 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk.toString()));
    child.once('error', (error) =>
      this.record(`===== node ${this.id} could not start: ${error.message} =====\n`),
    );
  }

  /** Sends `signal` to this node's process, by its PID. */
  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** Resolves when the current process exits; SIGKILLs it if it has not after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus> {
    const exit = this.exit;
    if (exit === null) throw new ClusterUsageError(`node ${this.id} was never started.`);
    const timer = setTimeout(() => {
      if (this.running) this.signal('SIGKILL');
    }, timeoutMs);
    try {
      const status = await exit;
      this.paused = false;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The exit of the current process if it has exited already. */
  exitStatus(): ExitStatus | null {
    if (this.child === null || this.running) return null;
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Everything the node printed (bounded to the most recent `outputCharsMax` characters). */
  get output(): string {
    return this.outputText;
  }

  /** The last `lineCount` lines of output, for failure messages. */
  outputTail(lineCount: number): string {
    const lines = this.outputText.trimEnd().split('\n');
    return lines.slice(-lineCount).join('\n');
  }

  private record(text: string): void {
    this.outputText += text;
    if (this.outputText.length > outputCharsMax) this.outputText = this.outputText.slice(-outputCharsMax);
  }
}

/**
 * `count` nodes with ids "1", "2", ..., an HTTP and a Raft port each chosen by the OS on 127.0.0.1, and a
 * data directory each under a new temporary directory named after `prefix`, which the caller removes.
 */
export async function allocateNodes(
  count: number,
  prefix: string,
): Promise<{ readonly rootDir: string; readonly nodes: ClusterNode[] }> {
  const ports = await pickFreePorts(2 * count);
  const rootDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const nodes = Array.from({ length: count }, (_, index) => {
    const dataDir = path.join(rootDir, `node-${index + 1}`);
    mkdirSync(dataDir);
    return new ClusterNode(
      String(index + 1),
      `127.0.0.1:${ports[2 * index]}`,
      `127.0.0.1:${ports[2 * index + 1]}`,
      dataDir,
    );
  });
  return { rootDir, nodes };
}
