// Concurrent writers that insert rows with unique ids and remember exactly which ids were acknowledged, and
// the checks that follow a fault: every node converges to the same rows, every acknowledged row is there,
// and no row is there that no client ever sent.
import assert from 'node:assert/strict';

import { judgeQuery, judgeWrite } from './api-results.js';
import type { Cluster, ClusterNode } from './cluster-harness.js';
import { NotConvergedError } from './errors.js';
import { nowMs, pollUntil, sleep } from './polling.js';

export interface InsertWorkloadOptions {
  /** A table with columns `id INTEGER PRIMARY KEY, v TEXT`. */
  readonly table: string;
  readonly writers: number;
  /** The first id; writers take consecutive ids from here, so separate rounds can use separate ranges. */
  readonly firstId: number;
  /** The most rows inserted in this run, over all writers. */
  readonly insertsMax: number;
  /** The longest the run may last even if nobody stops it. */
  readonly durationMaxMs: number;
  readonly requestTimeoutMs: number;
  /** The nodes a writer may send to at this moment; writers rotate among them. Default: every serving node. */
  readonly targets?: () => readonly ClusterNode[];
}

/** The answer to one insert: which id, when it was sent and answered, and what the client concluded. */
export interface InsertRecord {
  readonly id: number;
  readonly nodeId: string;
  readonly callMs: number;
  readonly returnMs: number;
  readonly outcome: 'ok' | 'failed' | 'unknown';
  /** What the node answered, when the insert was not acknowledged. */
  readonly reason?: string;
}

/** A pause after a failed request, so that writers do not spin while a cluster has no leader. */
const backoffAfterFailureMs = 50;

export class InsertWorkload {
  /** Ids for which a request was started. */
  readonly sent = new Set<number>();
  /** Ids whose insert was answered with HTTP 200, no error, and one row affected. */
  readonly acknowledged = new Set<number>();
  readonly records: InsertRecord[] = [];
  private nextId: number;
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly deadlineMs: number;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: InsertWorkloadOptions,
  ) {
    this.nextId = options.firstId;
    this.deadlineMs = nowMs() + options.durationMaxMs;
  }

  /** Starts the writer loops; they run until `stop`, the insert limit, or the duration limit. */
  start(): this {
    assert.equal(this.running, null, 'a workload is started once');
    this.running = Promise.all(
      Array.from({ length: this.options.writers }, (_, writer) => this.writerLoop(writer)),
    ).then(() => undefined);
    return this;
  }

  /** Asks the writers to finish and waits until every request in flight has been answered or timed out. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** The earliest answer time of an acknowledged insert sent at or after `sinceMs`, or undefined. */
  firstAcknowledgedSentAfter(sinceMs: number): number | undefined {
    let first: number | undefined;
    for (const record of this.records) {
      if (
        record.outcome === 'ok' &&
        record.callMs >= sinceMs &&
        (first === undefined || record.returnMs < first)
      ) {
        first = record.returnMs;
      }
    }
    return first;
  }

  /** Waits until an insert sent at or after `sinceMs` is acknowledged; returns its answer time. */
  async waitForAcknowledgementAfter(sinceMs: number, timeoutMs: number): Promise<number> {
    return pollUntil(async () => this.firstAcknowledgedSentAfter(sinceMs), {
      timeoutMs,
      intervalMs: 20,
      onTimeout: () =>
        new Error(
          `no insert sent after the fault was acknowledged within ${timeoutMs} ms; ` +
            `outcomes since then: ${this.summarySince(sinceMs)}`,
        ),
    });
  }

  /** Counts of outcomes of inserts sent at or after `sinceMs`, e.g. "ok 10, failed 3, unknown 2". */
  summarySince(sinceMs: number): string {
    const counts = { ok: 0, failed: 0, unknown: 0 };
    for (const record of this.records) if (record.callMs >= sinceMs) counts[record.outcome]++;
    return `ok ${counts.ok}, failed ${counts.failed}, unknown ${counts.unknown}`;
  }

  private async writerLoop(writer: number): Promise<void> {
    let turn = writer;
    while (!this.stopping && this.sent.size < this.options.insertsMax && nowMs() < this.deadlineMs) {
      const targets = (this.options.targets ?? (() => this.cluster.serving()))();
      const node = targets[turn++ % Math.max(1, targets.length)];
      if (node === undefined) {
        await sleep(backoffAfterFailureMs);
        continue;
      }
      const id = this.nextId++;
      this.sent.add(id);
      const callMs = nowMs();
      const answer = await this.cluster.execute(
        node,
        [[`INSERT INTO ${this.options.table}(id, v) VALUES(?, ?)`, id, rowValue(id)]],
        { timeoutMs: this.options.requestTimeoutMs },
      );
      const verdict = judgeWrite(answer, 1);
      const returnMs = nowMs();
      const acknowledged = verdict.kind === 'ok' && verdict.rowsAffected[0] === 1;
      if (acknowledged) this.acknowledged.add(id);
      this.records.push({
        id,
        nodeId: node.id,
        callMs,
        returnMs,
        outcome: acknowledged ? 'ok' : verdict.kind === 'failed' ? 'failed' : 'unknown',
        ...(verdict.kind === 'ok' ? {} : { reason: verdict.reason }),
      });
      if (!acknowledged) await sleep(backoffAfterFailureMs);
    }
  }
}

/** The value each row carries, so that a row with the right id but another value shows up as corruption. */
export function rowValue(id: number): string {
  return `value-${id}`;
}

/** Every (id, v) row of `table` on `node` at the given level, or the reason it could not be read. */
export async function readRows(
  cluster: Cluster,
  node: ClusterNode,
  table: string,
  level: 'none' | 'strong',
  timeoutMs = 10_000,
): Promise<Map<number, unknown> | string> {
  const outcome = await cluster.query(node, `SELECT id, v FROM ${table} ORDER BY id`, [], {
    level,
    timeoutMs,
  });
  const verdict = judgeQuery(outcome);
  if (verdict.kind === 'error') return verdict.reason;
  const rows = new Map<number, unknown>();
  for (const row of verdict.rows) {
    const [id, value] = row;
    if (typeof id !== 'number') return `row with a non-numeric id: ${JSON.stringify(row)}`;
    rows.set(id, value);
  }
  return rows;
}

/**
 * Waits until every serving node holds the same rows as the leader (read through the log with
 * level=strong, so it includes every committed write) and returns each node's rows. The leader is read
 * again at the end, so a write that was still committing while the followers were compared is caught.
 */
export async function waitForConvergence(
  cluster: Cluster,
  table: string,
  timeoutMs: number,
): Promise<Map<string, Map<number, unknown>>> {
  let lastSeen = '';
  return pollUntil(
    async () => {
      const leader = await cluster.leader({ timeoutMs });
      const reference = await readRows(cluster, leader, table, 'strong');
      if (typeof reference === 'string') {
        lastSeen = `leader ${leader.id}: ${reference}`;
        return undefined;
      }
      const byNode = new Map<string, Map<number, unknown>>();
      const differences: string[] = [];
      for (const node of cluster.serving()) {
        const rows = node === leader ? reference : await readRows(cluster, node, table, 'none');
        if (typeof rows === 'string') {
          differences.push(`node ${node.id}: ${rows}`);
          continue;
        }
        byNode.set(node.id, rows);
        if (!sameRows(rows, reference)) {
          differences.push(
            `node ${node.id} has ${rows.size} rows, leader ${leader.id} has ${reference.size}`,
          );
        }
      }
      const again = await readRows(cluster, leader, table, 'strong');
      if (typeof again !== 'string' && !sameRows(again, reference))
        differences.push('the leader moved on meanwhile');
      lastSeen = differences.join('; ');
      return differences.length === 0 ? byNode : undefined;
    },
    {
      timeoutMs,
      intervalMs: 200,
      onTimeout: () =>
        new NotConvergedError(`the nodes did not converge within ${timeoutMs} ms; last seen: ${lastSeen}`),
    },
  );
}

function sameRows(a: ReadonlyMap<number, unknown>, b: ReadonlyMap<number, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, value] of a) if (b.get(id) !== value) return false;
  return true;
}

/**
 * Asserts on every node's rows: each acknowledged id is present, each present id was sent, and each row
 * holds the value written with its id.
 */
export function assertNoLostOrInventedRows(
  rowsByNode: ReadonlyMap<string, ReadonlyMap<number, unknown>>,
  sent: ReadonlySet<number>,
  acknowledged: ReadonlySet<number>,
  context: string,
): void {
  for (const [nodeId, rows] of rowsByNode) {
    const lost = [...acknowledged].filter((id) => !rows.has(id));
    assert.deepEqual(
      lost.slice(0, 20),
      [],
      `${context}: node ${nodeId} lacks ${lost.length} acknowledged rows (first ones shown)`,
    );
    const invented = [...rows.keys()].filter((id) => !sent.has(id));
    assert.deepEqual(
      invented.slice(0, 20),
      [],
      `${context}: node ${nodeId} has ${invented.length} rows no client sent`,
    );
    const wrong = [...rows].filter(([id, value]) => value !== rowValue(id));
    assert.deepEqual(
      wrong.slice(0, 20),
      [],
      `${context}: node ${nodeId} has rows with values that were never written`,
    );
  }
}

/**
 * Asserts that no insert the client was told had failed is present: a node that reports a failure for a
 * write it went on to commit would lead a careful client to write twice.
 */
export function assertFailedInsertsAbsent(
  rowsByNode: ReadonlyMap<string, ReadonlyMap<number, unknown>>,
  records: readonly InsertRecord[],
  context: string,
): void {
  for (const [nodeId, rows] of rowsByNode) {
    const present = records.filter((record) => record.outcome === 'failed' && rows.has(record.id));
    assert.deepEqual(
      present
        .slice(0, 5)
        .map((record) => `id ${record.id} sent to node ${record.nodeId}: ${record.reason ?? ''}`),
      [],
      `${context}: node ${nodeId} holds ${present.length} rows whose insert was answered as failed`,
    );
  }
}

export function describeOutcomeCounts(workload: InsertWorkload): string {
  return `${workload.sent.size} sent, ${workload.acknowledged.size} acknowledged (${workload.summarySince(0)})`;
}
