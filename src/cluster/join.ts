// Joining a cluster at start (-join). Each target is a member's Raft address (as rqlite 8 takes) or its
// HTTP API URL (as older rqlite and tqlite take; the member's /status names its Raft address). Any member
// will do: a follower passes the request on to the leader. Attempts are bounded (-join-attempts), with a
// pause between rounds (-join-interval).
import type { RpcClient } from '../transport/index.js';
import { type MemberAddresses, parseMemberTable } from './members.js';
import { clusterMethods, type JoinRequest } from './service.js';

/** Every attempt failed; the message lists the last failure of each target. */
export class JoinFailedError extends Error {
  override readonly name = 'JoinFailedError';
}

export interface JoinOptions {
  readonly targets: readonly string[];
  readonly request: JoinRequest;
  readonly attempts: number;
  readonly intervalMs: number;
  readonly client: RpcClient;
  /**
   * Takes the member addresses a member knows, before the join: once the leader adds this node, the
   * node must be able to answer the leader (whose address is in no log entry it will receive) at once.
   */
  readonly learn: (members: ReadonlyMap<string, MemberAddresses>) => void;
  readonly log: (message: string) => void;
  readonly callTimeoutMs?: number;
}

const defaultCallTimeoutMs = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Raft address behind `target`: itself, or what the HTTP API at that URL reports as its own. */
async function raftAddressOf(target: string, timeoutMs: number): Promise<string> {
  if (!/^https?:\/\//i.test(target)) return target;
  const response = await fetch(`${target.replace(/\/+$/, '')}/status`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`GET ${target}/status answered ${response.status}`);
  const status = (await response.json()) as { store?: { addr?: unknown } };
  const address = status.store?.addr;
  if (typeof address !== 'string' || address === '') {
    throw new Error(`${target}/status does not name the node's Raft address (store.addr)`);
  }
  return address;
}

export async function joinCluster(
  options: JoinOptions,
): Promise<{ members: Map<string, MemberAddresses>; via: string }> {
  const callTimeoutMs = options.callTimeoutMs ?? defaultCallTimeoutMs;
  const failures = new Map<string, string>();
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    for (const target of options.targets) {
      try {
        const address = await raftAddressOf(target, callTimeoutMs);
        if (address === options.request.raftAddress) {
          failures.set(target, 'it is this node itself');
          continue;
        }
        const known = await options.client.call(address, clusterMethods.members, null, {
          timeoutMs: callTimeoutMs,
        });
        options.learn(
          parseMemberTable((known as { members?: unknown } | null)?.members, `members of ${target}`),
        );
        const answer = await options.client.call(address, clusterMethods.join, options.request, {
          timeoutMs: callTimeoutMs,
        });
        const members = parseMemberTable(
          (answer as { members?: unknown } | null)?.members,
          `join answer from ${target}`,
        );
        return { members, via: target };
      } catch (error) {
        failures.set(target, describe(error));
        options.log(
          `join attempt ${attempt} of ${options.attempts} through ${target} failed: ${describe(error)}`,
        );
      }
    }
    if (attempt < options.attempts) await sleep(options.intervalMs);
  }
  const reasons = [...failures].map(([target, reason]) => `${target}: ${reason}`).join('; ');
  throw new JoinFailedError(`could not join the cluster after ${options.attempts} attempts (${reasons})`);
}
