// Clients of the simulated cluster. Each client runs one operation at a time against the node it
// believes leads: puts, compare-and-sets and gets on a few keys, with gets served through the log, by
// ReadIndex or by lease. Every operation that may have taken effect is recorded in a history for the
// linearizability checker: with its output when the client saw one, as unknown when it did not.

import { NotLeaderError, RaftError, type NodeId, type SeededRandom } from '../../src/raft/index.js';
import type { KeyValueInput, KeyValueOutput, Operation } from '../lib/linearizability.js';
import { unitsPerTick, type FaultProfile } from './profile.js';
import type { SimNode } from './sim-node.js';
import type { Trace } from './trace.js';

export interface WorkloadHost {
  now(): number;
  readonly profile: FaultProfile;
  readonly trace: Trace;
  nodes(): readonly SimNode[];
  scheduleClient(at: number, client: number): void;
  scheduleTimeout(at: number, operation: number): void;
}

interface OpenOperation {
  readonly client: number;
  readonly input: KeyValueInput;
  readonly call: number;
}

export interface WorkloadStats {
  completed: number;
  unknown: number;
  failed: number;
  refused: number;
}

export const probeKey = 'probe';

export class Workload {
  readonly history: Operation<KeyValueInput, KeyValueOutput>[] = [];
  readonly stats: WorkloadStats = { completed: 0, unknown: 0, failed: 0, refused: 0 };
  private readonly open = new Map<number, OpenOperation>();
  private readonly busy = new Set<number>();
  private readonly guesses: NodeId[] = [];
  private nextOperation = 1;
  private nextValue = 1;
  private issuing = true;
  /** The client that, after the faults heal, proves the cluster commits again. */
  readonly probeClient: number;
  private probing = false;
  probeSucceededAt: number | undefined;

  constructor(
    private readonly host: WorkloadHost,
    private readonly random: SeededRandom,
  ) {
    this.probeClient = host.profile.clients;
  }

  start(): void {
    for (let client = 0; client < this.host.profile.clients; client++) {
      this.guesses[client] = this.randomNode();
      this.host.scheduleClient(this.host.now() + this.random.between(0, 5 * unitsPerTick), client);
    }
  }

  /** Stops the regular clients from starting new operations (operations in flight continue). */
  stopIssuing(): void {
    this.issuing = false;
  }

  startProbe(): void {
    this.probing = true;
    this.guesses[this.probeClient] = this.randomNode();
    this.host.scheduleClient(this.host.now(), this.probeClient);
  }

  private randomNode(): NodeId {
    return this.random.pick(this.host.nodes()).id;
  }

  private trace(text: string): void {
    if (this.host.trace.enabled) this.host.trace.add(this.host.now(), 'client', text);
  }

  private drawInput(client: number): KeyValueInput {
    if (client === this.probeClient) return { kind: 'put', key: probeKey, value: `p${this.nextValue++}` };
    const key = `k${this.random.nextInt(this.host.profile.keys)}`;
    const roll = this.random.nextInt(10);
    if (roll < 4) return { kind: 'put', key, value: `v${this.nextValue++}` };
    if (roll < 6) {
      const from = this.random.chance(0.3)
        ? null
        : `v${this.random.between(Math.max(1, this.nextValue - 4), this.nextValue)}`;
      return { kind: 'cas', key, from, to: `v${this.nextValue++}` };
    }
    return { kind: 'get', key };
  }

  /** A client is due to start an operation (or retry one the cluster refused). */
  wake(client: number): void {
    if (this.busy.has(client)) return;
    const active =
      client === this.probeClient ? this.probing && this.probeSucceededAt === undefined : this.issuing;
    if (!active) return;
    const input = this.drawInput(client);
    const node = this.host.nodes().find((candidate) => candidate.id === this.guesses[client]);
    if (node === undefined || node.raw === undefined) {
      this.refused(client, this.randomNode());
      return;
    }
    // Most refusals are answered from the node's role, as a server would redirect; a few go through the
    // core so that its NotLeaderError path is exercised too.
    const soft = node.raw.softState();
    if (soft.role !== 'leader' && !this.random.chance(0.05)) {
      this.refused(client, soft.leaderId !== '' ? soft.leaderId : this.randomNode());
      return;
    }
    const operation = this.nextOperation++;
    // Registered first: on a single node with an instant disk the outcome arrives before propose returns.
    this.busy.add(client);
    this.open.set(operation, { client, input, call: this.host.now() });
    try {
      if (input.kind === 'get' && !this.random.chance(this.host.profile.readThroughLog)) {
        const mode = this.random.chance(this.host.profile.leaseReads) ? 'lease' : 'quorum';
        node.readIndex(operation, input.key, mode);
      } else {
        node.propose(operation, { operation, input });
      }
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
      // Refused before anything was appended: no effect, nothing to record.
      this.busy.delete(client);
      this.open.delete(operation);
      const leader =
        error instanceof NotLeaderError && error.leaderId !== '' ? error.leaderId : this.randomNode();
      this.refused(client, leader);
      return;
    }
    this.trace(`client ${client} operation ${operation}: ${describeInput(input)} on node ${node.id}`);
    this.host.scheduleTimeout(
      this.host.now() + 10 * this.host.profile.electionTimeoutTicks * unitsPerTick,
      operation,
    );
  }

  private refused(client: number, nextGuess: NodeId): void {
    this.stats.refused++;
    this.guesses[client] = nextGuess;
    this.host.scheduleClient(
      this.host.now() + this.random.between(unitsPerTick / 2, 2 * unitsPerTick),
      client,
    );
  }

  /** The outcome of an operation, from the node that ran it or from the client giving up. */
  done(operation: number, outcome: KeyValueOutput | 'failed' | 'unknown'): void {
    const open = this.open.get(operation);
    if (open === undefined) return;
    this.open.delete(operation);
    this.busy.delete(open.client);
    const now = this.host.now();
    if (outcome === 'failed') {
      this.stats.failed++;
      this.guesses[open.client] = this.randomNode();
    } else if (outcome === 'unknown') {
      this.stats.unknown++;
      this.history.push({ ...open, return: Number.POSITIVE_INFINITY, output: undefined });
      this.guesses[open.client] = this.randomNode();
    } else {
      this.stats.completed++;
      this.history.push({ ...open, return: now, output: outcome });
      if (open.client === this.probeClient) this.probeSucceededAt ??= now;
    }
    this.trace(
      `client ${open.client} operation ${operation} ${typeof outcome === 'string' ? outcome : `-> ${describeOutput(outcome)}`}`,
    );
    const thinkUnits = open.client === this.probeClient ? 0 : this.random.between(0, 3 * unitsPerTick);
    this.host.scheduleClient(now + thinkUnits + 1, open.client);
  }

  timeout(operation: number): void {
    this.done(operation, 'unknown');
  }

  /** At the end of a run, operations still open have unknown outcomes. */
  closeAll(): void {
    for (const operation of [...this.open.keys()]) this.done(operation, 'unknown');
  }
}

function describeInput(input: KeyValueInput): string {
  switch (input.kind) {
    case 'put':
      return `put ${input.key}=${input.value}`;
    case 'get':
      return `get ${input.key}`;
    case 'cas':
      return `cas ${input.key} ${input.from ?? 'null'}->${input.to}`;
  }
}

function describeOutput(output: KeyValueOutput): string {
  switch (output.kind) {
    case 'put':
      return 'ok';
    case 'get':
      return `${output.value ?? 'null'}`;
    case 'cas':
      return output.ok ? 'ok' : 'mismatch';
  }
}
