// The fault schedule of the register test: one fault at a time, each held for a while and then repaired,
// with quiet periods between them, all drawn from a seeded source so a run can be repeated from its seed.
import type { Cluster, ClusterNode } from './cluster-harness.js';
import { NoLeaderError } from './errors.js';
import { nowMs, sleep } from './polling.js';

export type FaultKind =
  'kill-leader' | 'kill-follower' | 'pause-leader' | 'pause-follower' | 'isolate-leader' | 'isolate-follower';

/** Faults any server can suffer; isolation needs node-to-node traffic through the proxy mesh. */
export const processFaults: readonly FaultKind[] = [
  'kill-leader',
  'kill-follower',
  'pause-leader',
  'pause-follower',
];
export const networkFaults: readonly FaultKind[] = ['isolate-leader', 'isolate-follower'];

export interface NemesisOptions {
  readonly durationMs: number;
  readonly kinds: readonly FaultKind[];
  /** How long each fault is held: a draw in [min, max]. */
  readonly faultMs: readonly [number, number];
  /** How long the cluster is left alone after each repair: a draw in [min, max]. */
  readonly quietMs: readonly [number, number];
  readonly random: () => number;
}

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly nodeId: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** Applies faults until `durationMs` has passed; leaves every node running, resumed and connected. */
export async function runNemesis(cluster: Cluster, options: NemesisOptions): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  const deadline = nowMs() + options.durationMs;
  const draw = ([min, max]: readonly [number, number]): number => min + options.random() * (max - min);
  while (nowMs() < deadline) {
    const kind = options.kinds[Math.floor(options.random() * options.kinds.length)];
    if (kind === undefined) break;
    const target = await chooseTarget(cluster, kind, options.random);
    if (target !== undefined) {
      const startMs = nowMs();
      const repair = await inject(cluster, kind, target);
      await sleep(Math.min(draw(options.faultMs), Math.max(0, deadline - nowMs())));
      await repair();
      records.push({ kind, nodeId: target.id, startMs, endMs: nowMs() });
    }
    await sleep(draw(options.quietMs));
  }
  return records;
}

async function chooseTarget(
  cluster: Cluster,
  kind: FaultKind,
  random: () => number,
): Promise<ClusterNode | undefined> {
  let leader: ClusterNode;
  try {
    leader = await cluster.leader({ timeoutMs: 10_000 });
  } catch (error) {
    // Without a leader there is nothing to aim at; the quiet period that follows lets the cluster recover.
    if (error instanceof NoLeaderError) return undefined;
    throw error;
  }
  if (kind.endsWith('-leader')) return leader;
  const followers = cluster.serving().filter((node) => node !== leader);
  return followers[Math.floor(random() * followers.length)];
}

/** Starts the fault and returns how to repair it. */
async function inject(cluster: Cluster, kind: FaultKind, target: ClusterNode): Promise<() => Promise<void>> {
  switch (kind) {
    case 'kill-leader':
    case 'kill-follower':
      await cluster.kill(target, 'SIGKILL');
      return () => cluster.restart(target);
    case 'pause-leader':
    case 'pause-follower':
      cluster.stop(target);
      return () => Promise.resolve(cluster.cont(target));
    case 'isolate-leader':
    case 'isolate-follower': {
      const mesh = cluster.mesh;
      if (mesh === null) throw new Error(`the fault ${kind} needs a meshed cluster`);
      mesh.isolate(target.id);
      return () => Promise.resolve(mesh.heal());
    }
    default: {
      const unexpected: never = kind;
      throw new Error(`unknown fault ${String(unexpected)}`);
    }
  }
}

export function describeFaults(records: readonly FaultRecord[], originMs: number): string {
  return records
    .map(
      (record) =>
        `${record.kind} node ${record.nodeId} at ${((record.startMs - originMs) / 1000).toFixed(1)}-` +
        `${((record.endMs - originMs) / 1000).toFixed(1)} s`,
    )
    .join(', ');
}
