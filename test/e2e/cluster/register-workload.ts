// Clients that read and write a few registers (rows of a table) on any node while faults happen, and
// record a history for the linearizability checker: when each operation was called and answered, and what
// it returned, or that its outcome is unknown. A separate reader samples level=none reads on followers,
// which may be stale by design, to measure how stale they were.
import type { KeyValueInput, KeyValueOperation, KeyValueOutput } from '../../lib/linearizability.js';
import { judgeQuery, judgeWrite } from './api-results.js';
import type { Cluster, ClusterNode } from './cluster-harness.js';
import { nowMs, sleep } from './polling.js';

/** The table behind the registers: one row per register, `v` NULL until the first write. */
export const registerTable = 'regs';

export const createRegisterTable = `CREATE TABLE ${registerTable} (k INTEGER PRIMARY KEY, v TEXT)`;

export type LinearizableLevel = 'linearizable' | 'strong';

export interface RegisterWorkloadOptions {
  readonly clients: number;
  /** Register keys; each is a row `k` of the table. */
  readonly keys: readonly number[];
  /** Consistency levels of the reads that go into the history; each read picks one at random. */
  readonly readLevels: readonly LinearizableLevel[];
  /** Chance that an operation is a write rather than a read. */
  readonly writeShare: number;
  readonly requestTimeoutMs: number;
  /** The most operations over all clients. */
  readonly operationsMax: number;
  readonly durationMaxMs: number;
  /** A seeded source in [0, 1), so a run's choices repeat with its seed. */
  readonly random: () => number;
}

/** A level=none read: the value a node had locally at some instant between call and return. */
export interface LocalRead {
  readonly nodeId: string;
  readonly key: string;
  readonly value: string | null;
  readonly call: number;
  readonly return: number;
}

/** Something the server answered that no correct server would, whatever the faults. */
export interface Anomaly {
  readonly what: string;
  readonly answer: string;
}

const pauseAfterFailureMs = 20;

export class RegisterWorkload {
  readonly history: KeyValueOperation[] = [];
  readonly localReads: LocalRead[] = [];
  readonly anomalies: Anomaly[] = [];
  /** Writes that certainly did not happen and reads without an answer: left out of the history. */
  omittedOperations = 0;
  /** The value of each write answered as a certain failure, with the answer, to catch one that took effect. */
  readonly failedWrites = new Map<string, string>();
  private operations = 0;
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly deadlineMs: number;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: RegisterWorkloadOptions,
  ) {
    this.deadlineMs = nowMs() + options.durationMaxMs;
  }

  /** Starts the clients, plus one reader of follower-local values when `sampleLocalReads` is set. */
  start(options: { readonly sampleLocalReads: boolean }): this {
    const loops = Array.from({ length: this.options.clients }, (_, client) => this.clientLoop(client));
    if (options.sampleLocalReads) loops.push(this.localReadLoop());
    this.running = Promise.all(loops).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private get shouldRun(): boolean {
    return !this.stopping && this.operations < this.options.operationsMax && nowMs() < this.deadlineMs;
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.options.random() * items.length)];
  }

  private async clientLoop(client: number): Promise<void> {
    let sequence = 0;
    while (this.shouldRun) {
      // Paused nodes are included: requests to them time out, and those outcomes are unknown.
      const node = this.pick(this.cluster.nodes.filter((candidate) => candidate.running));
      const key = this.pick(this.options.keys);
      if (node === undefined || key === undefined) {
        await sleep(pauseAfterFailureMs);
        continue;
      }
      this.operations++;
      const recorded =
        this.options.random() < this.options.writeShare
          ? await this.write(client, node, key, `${client}-${++sequence}`)
          : await this.read(client, node, key);
      if (!recorded) await sleep(pauseAfterFailureMs);
    }
  }

  /** Returns whether the operation went into the history. */
  private async write(client: number, node: ClusterNode, key: number, value: string): Promise<boolean> {
    const input: KeyValueInput = { kind: 'put', key: String(key), value };
    const call = nowMs();
    const outcome = await this.cluster.execute(
      node,
      [[`UPDATE ${registerTable} SET v = ? WHERE k = ?`, value, key]],
      { timeoutMs: this.options.requestTimeoutMs },
    );
    const returned = nowMs();
    const verdict = judgeWrite(outcome, 1);
    switch (verdict.kind) {
      case 'failed':
        this.omittedOperations++;
        this.failedWrites.set(value, `node ${node.id} answered ${verdict.reason}`);
        return false;
      case 'unknown':
        this.history.push({ client, input, call, return: returned, output: undefined });
        return true;
      case 'ok':
        if (verdict.rowsAffected[0] !== 1) {
          this.anomalies.push({
            what: `write ${value} to register ${key} on node ${node.id}`,
            answer: outcome.kind === 'answered' ? outcome.text : '',
          });
        }
        this.history.push({ client, input, call, return: returned, output: { kind: 'put' } });
        return true;
      default: {
        const unexpected: never = verdict;
        throw new Error(`unknown write verdict ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private async read(client: number, node: ClusterNode, key: number): Promise<boolean> {
    const level = this.pick(this.options.readLevels) ?? 'strong';
    const call = nowMs();
    const value = await this.readValue(node, key, level);
    const returned = nowMs();
    if (value === undefined) {
      // A read without an answer constrains nothing: it is left out rather than recorded as unknown.
      this.omittedOperations++;
      return false;
    }
    const output: KeyValueOutput = { kind: 'get', value };
    this.history.push({ client, input: { kind: 'get', key: String(key) }, call, return: returned, output });
    return true;
  }

  /** The register's value, or undefined when the read failed or its answer was malformed. */
  private async readValue(
    node: ClusterNode,
    key: number,
    level: LinearizableLevel | 'none',
  ): Promise<string | null | undefined> {
    const outcome = await this.cluster.query(node, `SELECT v FROM ${registerTable} WHERE k = ?`, [key], {
      level,
      timeoutMs: this.options.requestTimeoutMs,
    });
    const verdict = judgeQuery(outcome);
    if (verdict.kind === 'error') return undefined;
    const [row, ...others] = verdict.rows;
    const value = row?.[0];
    if (row === undefined || others.length > 0 || (value !== null && typeof value !== 'string')) {
      // A local read may run before the row itself has been replicated to this node.
      if (level !== 'none' || row !== undefined) {
        this.anomalies.push({
          what: `${level} read of register ${key} on node ${node.id}`,
          answer: JSON.stringify(verdict.rows),
        });
      }
      return undefined;
    }
    return value;
  }

  /**
   * Reads that returned a value whose write the client was told had failed. A server must not do that: a
   * client told its write failed may well write again. Such a write is also missing from the history, so
   * the linearizability check would fail on it; this names the cause instead.
   */
  valuesOfFailedWritesSeen(): Anomaly[] {
    const seen: Anomaly[] = [];
    const reads = [
      ...this.history.flatMap((operation) =>
        operation.output?.kind === 'get' ? [{ key: operation.input.key, value: operation.output.value }] : [],
      ),
      ...this.localReads,
    ];
    for (const { key, value } of reads) {
      const answer = value === null ? undefined : this.failedWrites.get(value);
      if (answer !== undefined)
        seen.push({ what: `register ${key} holds ${value}, whose write failed`, answer });
    }
    return seen;
  }

  /** Reads with level=none from nodes other than the last known leader, for the staleness measure. */
  private async localReadLoop(): Promise<void> {
    while (this.shouldRun) {
      const leader = this.cluster.lastKnownLeader;
      const node = this.pick(this.cluster.serving().filter((candidate) => candidate !== leader));
      const key = this.pick(this.options.keys);
      if (node !== undefined && key !== undefined) {
        const call = nowMs();
        const value = await this.readValue(node, key, 'none');
        if (value !== undefined) {
          this.localReads.push({ nodeId: node.id, key: String(key), value, call, return: nowMs() });
        }
      }
      await sleep(10);
    }
  }
}
