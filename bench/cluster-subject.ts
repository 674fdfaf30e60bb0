// One three-node cluster as the cluster group measures it: every request goes to the leader, the way a
// client that follows rqlite's advice (or a redirect) talks to a cluster, so that no figure includes a
// forwarding hop. The same loads and batches as the single-node group, plus the read levels that need the
// leader to confirm itself (`linearizable`) or to go through the log (`strong`).
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { ownCpuMilliseconds, processCpuMilliseconds, type CpuTally } from './cluster-cpu.js';
import type { BenchCluster } from './cluster-members.js';
import {
  clusterPointReadRequest,
  databaseBytesOf,
  databaseSizeRequest,
  fillRequest,
  fillSchemaRequest,
} from './cluster-workloads.js';
import { sendRequest } from './http-send.js';
import {
  describeRequest,
  emptyTally,
  mergeTallies,
  runLoad,
  type FailureSample,
  type LoadTally,
  type PreparedRequest,
} from './loadgen.js';
import { checkResponse } from './response-check.js';
import { SetupFailedError, type BatchOutcome, type Phase } from './subjects.js';
import { batchRequest, insertRequest, pointLoadRequest, schemaRequest } from './workloads.js';

export type ClusterLoadKind = 'insert' | 'read-linearizable' | 'read-strong';

export interface ClusterLoad {
  /** Used in figure names, e.g. `insert-64-clients`. */
  readonly name: string;
  readonly kind: ClusterLoadKind;
  readonly clients: number;
}

/** The loads every cluster runs, in order. */
export const clusterLoads: readonly ClusterLoad[] = [
  { name: 'insert-1-client', kind: 'insert', clients: 1 },
  { name: 'insert-64-clients', kind: 'insert', clients: 64 },
  { name: 'read-linearizable-64-clients', kind: 'read-linearizable', clients: 64 },
  { name: 'read-strong-64-clients', kind: 'read-strong', clients: 64 },
];

/** Bounds every load even if time somehow did not; far above what any load here sends. */
const requestsPerLoadMax = 10_000_000;
const requestTimeoutMs = 30_000;
const setupTimeoutMs = 60_000;
const settlePollMs = 100;
const settleTimeoutMs = 2000;
/** One clock tick of processor time: an idle member's timers cost about that much per poll. */
const quietMillisecondsPerPoll = 10;

export interface FillOutcome {
  readonly requests: number;
  readonly seconds: number;
}

/** The processor time each member spent between two readings. */
function spentSince(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Map<string, number> {
  const spent = new Map<string, number>();
  for (const [role, milliseconds] of before) {
    const later = after.get(role);
    if (later !== undefined) spent.set(role, later - milliseconds);
  }
  return spent;
}

export class ClusterSubject {
  private nextSequence = 0;
  private nextBatch = 0;

  constructor(readonly cluster: BenchCluster) {}

  get name(): string {
    return this.cluster.system;
  }

  /** Creates the tables and loads the point rows, checking every answer. */
  async prepare(): Promise<void> {
    for (const prepared of [schemaRequest(), pointLoadRequest(), fillSchemaRequest()]) {
      await this.sendChecked(prepared, setupTimeoutMs);
    }
  }

  /** Grows the database with `requests` filling requests, one at a time, each checked. */
  async fill(requests: number): Promise<FillOutcome> {
    const startedAt = performance.now();
    for (let index = 0; index < requests; index++) await this.sendChecked(fillRequest(index), setupTimeoutMs);
    return { requests, seconds: (performance.now() - startedAt) / 1000 };
  }

  /** The size of the leader's database file in bytes, as SQLite counts its pages. */
  async databaseBytes(): Promise<number> {
    const body = await this.sendChecked(databaseSizeRequest, setupTimeoutMs);
    const bytes = databaseBytesOf(body);
    if (bytes === undefined) {
      throw new SetupFailedError(this.name, describeRequest(databaseSizeRequest), `no size in ${body}`);
    }
    return bytes;
  }

  /**
   * Runs one round of `load` against the leader: the warm-up as a load of its own, whose failures count
   * but whose answers do not, then the measured load, around which the processor time of every member
   * and of the load generator is read.
   */
  async run(load: ClusterLoad, phase: Phase): Promise<{ tally: LoadTally; cpu: CpuTally }> {
    const request = (): PreparedRequest => {
      const sequence = this.nextSequence++;
      switch (load.kind) {
        case 'insert':
          return insertRequest(sequence);
        case 'read-linearizable':
          return clusterPointReadRequest('linearizable', sequence);
        case 'read-strong':
          return clusterPointReadRequest('strong', sequence);
      }
    };
    const loadFor = (durationMs: number): Promise<LoadTally> =>
      runLoad({
        target: this.cluster.leaderTarget,
        clients: load.clients,
        warmupMs: 0,
        durationMs,
        requestsMax: requestsPerLoadMax,
        requestTimeoutMs,
        request,
      });
    const warmup = phase.warmupMs > 0 ? await loadFor(phase.warmupMs) : emptyTally;
    const membersBefore = this.membersCpuMilliseconds();
    const ownBefore = ownCpuMilliseconds();
    const measured = await loadFor(phase.durationMs);
    const ownAfter = ownCpuMilliseconds();
    const membersAfter = this.membersCpuMilliseconds();
    const warmupFailures: LoadTally = {
      ...emptyTally,
      failed: warmup.failed,
      abandoned: warmup.abandoned,
      failureSamples: warmup.failureSamples,
    };
    return {
      tally: mergeTallies(warmupFailures, measured),
      cpu: {
        requests: measured.succeeded + measured.failed,
        membersMs: spentSince(membersBefore, membersAfter),
        loadGeneratorMs: ownAfter - ownBefore,
      },
    };
  }

  /**
   * Processor time of each member once the cluster has gone quiet: followers apply a batch after the
   * leader has answered it, and that work belongs to the batch. Quiet means no member used more than a
   * clock tick in one polling interval; the wait is bounded, so a busy machine ends it too.
   */
  private async membersCpuWhenSettled(): Promise<Map<string, number>> {
    const giveUpAt = performance.now() + settleTimeoutMs;
    let previous = this.membersCpuMilliseconds();
    while (performance.now() < giveUpAt) {
      await sleep(settlePollMs);
      const current = this.membersCpuMilliseconds();
      const busiest = Math.max(0, ...spentSince(previous, current).values());
      previous = current;
      if (busiest <= quietMillisecondsPerPoll) break;
    }
    return previous;
  }

  /** Processor time of each member so far, by role; a member that is gone is left out. */
  private membersCpuMilliseconds(): Map<string, number> {
    const byRole = new Map<string, number>();
    for (const member of this.cluster.members) {
      const milliseconds = processCpuMilliseconds(member.server.pid);
      if (milliseconds !== undefined) byRole.set(this.cluster.roleOf(member), milliseconds);
    }
    return byRole;
  }

  /** Sends one batch of `rows` INSERTs to the leader, timing it and counting the processor time it took. */
  async batch(rows: number): Promise<{ outcome: BatchOutcome; cpu: CpuTally }> {
    const prepared = batchRequest(rows, this.nextBatch++);
    const agent = new http.Agent({ keepAlive: false });
    const membersBefore = this.membersCpuMilliseconds();
    const ownBefore = ownCpuMilliseconds();
    let outcome: BatchOutcome;
    try {
      const startedAt = performance.now();
      const answer = await sendRequest(this.cluster.leaderTarget, prepared, agent, requestTimeoutMs);
      const seconds = (performance.now() - startedAt) / 1000;
      const verdict = checkResponse(prepared.expectation, answer.statusCode, answer.body);
      outcome = verdict === undefined ? { seconds } : { failure: this.failure(prepared, verdict) };
    } catch (error) {
      outcome = { failure: this.failure(prepared, error instanceof Error ? error.message : String(error)) };
    } finally {
      agent.destroy();
    }
    const ownAfter = ownCpuMilliseconds();
    return {
      outcome,
      cpu: {
        requests: 1,
        membersMs: spentSince(membersBefore, await this.membersCpuWhenSettled()),
        loadGeneratorMs: ownAfter - ownBefore,
      },
    };
  }

  private failure(prepared: PreparedRequest, reason: string): FailureSample {
    return { request: describeRequest(prepared), reason };
  }

  /** Sends one request to the leader and returns the body, or throws when the answer is not the expected one. */
  private async sendChecked(prepared: PreparedRequest, timeoutMs: number): Promise<string> {
    const agent = new http.Agent({ keepAlive: false });
    try {
      const answer = await sendRequest(this.cluster.leaderTarget, prepared, agent, timeoutMs);
      const verdict = checkResponse(prepared.expectation, answer.statusCode, answer.body);
      if (verdict !== undefined) throw new SetupFailedError(this.name, describeRequest(prepared), verdict);
      return answer.body;
    } finally {
      agent.destroy();
    }
  }
}
