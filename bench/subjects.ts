// What the single-node benchmark measures, behind one interface: a server over HTTP (dustd or rqlited),
// or better-sqlite3 in this process. Each runs the same loads, so the rounds can take turns between them.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { sendRequest } from './http-send.js';
import { describeRequest, runLoad, type FailureSample, type LoadTally } from './loadgen.js';
import { checkResponse } from './response-check.js';
import type { BenchServer } from './servers.js';
import type { SqliteBaseline } from './sqlite-baseline.js';
import {
  batchRequest,
  insertRequest,
  pointLoadRequest,
  pointReadRequest,
  schemaRequest,
} from './workloads.js';

export type LoadKind = 'insert' | 'read-weak' | 'read-none';

export interface LoadSpec {
  /** Used in figure names, e.g. `insert-64-clients`. */
  readonly name: string;
  readonly kind: LoadKind;
  readonly clients: number;
}

/** The loads every server runs, in order. */
export const singleLoads: readonly LoadSpec[] = [
  { name: 'insert-1-client', kind: 'insert', clients: 1 },
  { name: 'insert-64-clients', kind: 'insert', clients: 64 },
  { name: 'read-weak-64-clients', kind: 'read-weak', clients: 64 },
  { name: 'read-none-64-clients', kind: 'read-none', clients: 64 },
];

/**
 * The baseline's name for its part of a load. better-sqlite3 has one caller and no consistency levels,
 * so both insert loads are one measurement for it, and both read loads another.
 */
export const sqliteLoadName: Readonly<Record<LoadKind, string>> = {
  insert: 'insert',
  'read-weak': 'point-read',
  'read-none': 'point-read',
};

export interface Phase {
  readonly warmupMs: number;
  readonly durationMs: number;
}

export type BatchOutcome = { readonly seconds: number } | { readonly failure: FailureSample };

export interface Subject {
  readonly name: string;
  run(load: LoadSpec, phase: Phase): Promise<LoadTally>;
  batch(rows: number): Promise<BatchOutcome>;
}

/** A setup request that failed: the server cannot be measured, so the benchmark stops. */
export class SetupFailedError extends Error {
  readonly code = 'SETUP_FAILED';
  constructor(subject: string, request: string, reason: string) {
    super(`${subject}: ${request} failed: ${reason}`);
    this.name = 'SetupFailedError';
  }
}

/** Bounds every load even if time somehow did not; far above what any load here sends. */
const requestsPerLoadMax = 10_000_000;
const requestTimeoutMs = 30_000;
const setupTimeoutMs = 60_000;

export class ServerSubject implements Subject {
  readonly name: string;
  private nextSequence = 0;
  private nextBatch = 0;

  constructor(readonly server: BenchServer) {
    this.name = server.kind;
  }

  /** Creates the tables and loads the point rows, checking every answer. */
  async prepare(): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const prepared of [schemaRequest(), pointLoadRequest()]) {
        const answer = await sendRequest(this.server.target, prepared, agent, setupTimeoutMs);
        const verdict = checkResponse(prepared.expectation, answer.statusCode, answer.body);
        if (verdict !== undefined) throw new SetupFailedError(this.name, describeRequest(prepared), verdict);
      }
    } finally {
      agent.destroy();
    }
  }

  run(load: LoadSpec, phase: Phase): Promise<LoadTally> {
    const request = (): ReturnType<typeof insertRequest> => {
      const sequence = this.nextSequence++;
      switch (load.kind) {
        case 'insert':
          return insertRequest(sequence);
        case 'read-weak':
          return pointReadRequest('weak', sequence);
        case 'read-none':
          return pointReadRequest('none', sequence);
      }
    };
    return runLoad({
      target: this.server.target,
      clients: load.clients,
      warmupMs: phase.warmupMs,
      durationMs: phase.durationMs,
      requestsMax: requestsPerLoadMax,
      requestTimeoutMs,
      request,
    });
  }

  async batch(rows: number): Promise<BatchOutcome> {
    const prepared = batchRequest(rows, this.nextBatch++);
    const agent = new http.Agent({ keepAlive: false });
    try {
      const startedAt = performance.now();
      const answer = await sendRequest(this.server.target, prepared, agent, requestTimeoutMs);
      const seconds = (performance.now() - startedAt) / 1000;
      const verdict = checkResponse(prepared.expectation, answer.statusCode, answer.body);
      return verdict === undefined
        ? { seconds }
        : { failure: { request: describeRequest(prepared), reason: verdict } };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { failure: { request: describeRequest(prepared), reason } };
    } finally {
      agent.destroy();
    }
  }
}

export class SqliteSubject implements Subject {
  readonly name = 'sqlite';

  constructor(private readonly baseline: SqliteBaseline) {}

  async run(load: LoadSpec, phase: Phase): Promise<LoadTally> {
    // better-sqlite3 is synchronous: one caller, whatever the number of clients the servers get.
    const measure = (durationMs: number): LoadTally =>
      load.kind === 'insert'
        ? this.baseline.insertFor(durationMs, requestsPerLoadMax)
        : this.baseline.pointReadsFor(durationMs, requestsPerLoadMax);
    measure(phase.warmupMs);
    // Each measurement holds the event loop for its whole duration; yield between them.
    await sleep(0);
    return measure(phase.durationMs);
  }

  async batch(rows: number): Promise<BatchOutcome> {
    await sleep(0);
    return { seconds: this.baseline.batch(rows) };
  }
}
