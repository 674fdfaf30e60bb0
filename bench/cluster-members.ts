// A three-node cluster the benchmark starts on 127.0.0.1: node 1 alone first, then nodes 2 and 3 joining
// it through its Raft address, the way an operator starts rqlited. A cluster counts as formed only when
// every member answers `GET /nodes` with the same three voters, all reachable, and the same one leader:
// a node that ignored `-join` and made itself the leader of a cluster of one must not pass for a cluster.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { sendRequest, type HttpTarget } from './http-send.js';
import { BenchServer, freePort, type ClusterPlacement, type ServerKind } from './servers.js';

export const clusterSize = 3;

/** A cluster that did not form within its bound; the group is skipped with this message as its note. */
export class ClusterFormationError extends Error {
  readonly code = 'CLUSTER_NOT_FORMED';
  constructor(system: string, reason: string) {
    super(`${system} did not form a ${clusterSize}-node cluster: ${reason}`);
    this.name = 'ClusterFormationError';
  }
}

/** One member as a node describes it in `GET /nodes`. */
interface MemberView {
  readonly id: string;
  readonly reachable: boolean;
  readonly leader: boolean;
}

/** What one node said about the membership, or why it said nothing usable. */
type MembershipView = { readonly members: readonly MemberView[] } | { readonly problem: string };

const nodesProbeTimeoutMs = 5000;
const formationPollMs = 200;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads rqlite's `/nodes` answer in either shape: `{"nodes":[…]}` (with `ver=2`) or the older object keyed
 * by node ID. Returns a sentence when the answer is not one of them.
 */
export function parseNodesAnswer(body: string): MembershipView {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { problem: `/nodes answered something that is not JSON: ${body.slice(0, 160)}` };
  }
  if (!isRecord(parsed)) return { problem: '/nodes answered something other than a JSON object' };
  const entries: unknown[] = Array.isArray(parsed['nodes']) ? parsed['nodes'] : Object.values(parsed);
  const members: MemberView[] = [];
  for (const entry of entries) {
    if (!isRecord(entry) || typeof entry['id'] !== 'string') {
      return { problem: `/nodes lists a member without an "id": ${JSON.stringify(entry)}` };
    }
    members.push({
      id: entry['id'],
      reachable: entry['reachable'] === true,
      leader: entry['leader'] === true,
    });
  }
  return { members };
}

/**
 * The leader's ID when the views of every node agree on the same `clusterSize` reachable voters and the
 * same single leader; otherwise a sentence saying what is still missing.
 */
export function agreedLeader(
  expectedIds: readonly string[],
  views: readonly MembershipView[],
): { readonly leaderId: string } | { readonly problem: string } {
  let leaderId: string | undefined;
  for (const [index, view] of views.entries()) {
    const node = expectedIds[index] ?? `#${index}`;
    if ('problem' in view) return { problem: `node ${node}: ${view.problem}` };
    const ids = view.members.map((member) => member.id).sort();
    if (ids.join(',') !== [...expectedIds].sort().join(',')) {
      return { problem: `node ${node} lists members [${ids.join(', ')}]` };
    }
    const unreachable = view.members.filter((member) => !member.reachable).map((member) => member.id);
    if (unreachable.length > 0) return { problem: `node ${node} cannot reach [${unreachable.join(', ')}]` };
    const leaders = view.members.filter((member) => member.leader).map((member) => member.id);
    if (leaders.length !== 1) return { problem: `node ${node} sees leaders [${leaders.join(', ')}]` };
    const seen = leaders[0] ?? '';
    if (leaderId !== undefined && seen !== leaderId) {
      return { problem: `nodes disagree on the leader (${leaderId} and ${seen})` };
    }
    leaderId = seen;
  }
  return leaderId === undefined ? { problem: 'no node answered' } : { leaderId };
}

export interface ClusterMember {
  readonly nodeId: string;
  readonly server: BenchServer;
}

export class BenchCluster {
  private constructor(
    /** The name figures carry, such as `rqlited` or `dustd-disk`. */
    readonly system: string,
    readonly members: readonly ClusterMember[],
    /** The leader all members agreed on once the cluster formed. */
    readonly leaderId: string,
  ) {}

  /**
   * Starts `clusterSize` servers of `kind` under `parentDir` and waits, at most `formationTimeoutMs` after
   * the last one is ready, for them to agree on their membership and leader. Whatever fails, every
   * server started here is stopped before the error is thrown.
   */
  static async form(
    system: string,
    kind: ServerKind,
    parentDir: string,
    formationTimeoutMs: number,
  ): Promise<BenchCluster> {
    const members: ClusterMember[] = [];
    try {
      const placements: ClusterPlacement[] = [];
      for (let index = 0; index < clusterSize; index++) {
        placements.push({
          nodeId: String(index + 1),
          httpPort: await freePort(),
          raftPort: await freePort(),
        });
      }
      const [first, ...joiners] = placements;
      if (first === undefined) throw new Error('a cluster needs at least one node');
      members.push({ nodeId: first.nodeId, server: await BenchServer.start(kind, parentDir, first) });
      const join = `127.0.0.1:${first.raftPort}`;
      const started = await Promise.allSettled(
        joiners.map(async (placement) => ({
          nodeId: placement.nodeId,
          server: await BenchServer.start(kind, parentDir, { ...placement, join }),
        })),
      );
      for (const outcome of started) if (outcome.status === 'fulfilled') members.push(outcome.value);
      for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
      members.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
      const leaderId = await waitForAgreement(system, members, formationTimeoutMs);
      return new BenchCluster(system, members, leaderId);
    } catch (error) {
      await Promise.all(members.map((member) => member.server.stop()));
      if (error instanceof ClusterFormationError) throw error;
      throw new ClusterFormationError(system, error instanceof Error ? error.message : String(error));
    }
  }

  get leader(): ClusterMember {
    const leader = this.members.find((member) => member.nodeId === this.leaderId);
    if (leader === undefined) throw new Error(`${this.system}: leader ${this.leaderId} is not a member`);
    return leader;
  }

  /** Where the loads go: the leader's HTTP API, so that no request is forwarded. */
  get leaderTarget(): HttpTarget {
    return this.leader.server.target;
  }

  /** Each member's role, for figure names: `leader`, then `follower-1`, `follower-2` by node ID. */
  roleOf(member: ClusterMember): string {
    if (member.nodeId === this.leaderId) return 'leader';
    const followers = this.members.filter((other) => other.nodeId !== this.leaderId);
    return `follower-${followers.indexOf(member) + 1}`;
  }

  /**
   * Asks the members again who leads; a leader that changed during the loads means some requests were
   * forwarded or refused, which the report must say.
   */
  async currentLeader(): Promise<{ readonly leaderId: string } | { readonly problem: string }> {
    return agreedLeader(
      this.members.map((member) => member.nodeId),
      await Promise.all(this.members.map((member) => readMembership(member.server.target))),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.server.stop()));
  }
}

async function readMembership(target: HttpTarget): Promise<MembershipView> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const answer = await sendRequest(
      target,
      { method: 'GET', path: '/nodes?ver=2' },
      agent,
      nodesProbeTimeoutMs,
    );
    if (answer.statusCode !== 200) {
      return { problem: `/nodes answered ${answer.statusCode}: ${answer.body.slice(0, 160)}` };
    }
    return parseNodesAnswer(answer.body);
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  } finally {
    agent.destroy();
  }
}

async function waitForAgreement(
  system: string,
  members: readonly ClusterMember[],
  timeoutMs: number,
): Promise<string> {
  const ids = members.map((member) => member.nodeId);
  const giveUpAt = performance.now() + timeoutMs;
  let last = 'not asked yet';
  while (performance.now() < giveUpAt) {
    const views = await Promise.all(members.map((member) => readMembership(member.server.target)));
    const verdict = agreedLeader(ids, views);
    if ('leaderId' in verdict) return verdict.leaderId;
    last = verdict.problem;
    await sleep(formationPollMs);
  }
  throw new ClusterFormationError(system, `no agreement within ${timeoutMs} ms (last: ${last})`);
}
