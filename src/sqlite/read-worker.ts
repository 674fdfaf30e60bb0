// A read worker: one read-only connection in its own thread, so that a long read never blocks the event
// loop of the main thread. It runs one query at a time, as the pool sends them, and reports each
// statement's result as soon as it has it.
import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

import type { StatementResult } from '../command/types.js';
import { ApplyGate } from './apply-gate.js';
import { Connection } from './connection.js';
import type { ReadTarget } from './database.js';
import {
  queryTimeoutMessage,
  type FromReadWorker,
  type ReadWorkerData,
  type ToReadWorker,
} from './read-protocol.js';
import { runOnReadPath } from './runner.js';

const port = parentPort;
if (port === null) throw new Error('read-worker.js runs only as a worker thread');

const data = workerData as ReadWorkerData;
const gate = new ApplyGate(data.gateBuffer);
let target: ReadTarget = data.target;
let connection: Connection | undefined;

// How long a worker waits for a lock held by another connection: in memory, a client's open write
// transaction (reads then fail at once, as on the main thread); on disk, only a writer's recovery.
const busyTimeoutMs = (readTarget: ReadTarget): number => (readTarget.location.kind === 'memory' ? 0 : 5000);

function post(message: FromReadWorker): void {
  port!.postMessage(message);
}

function currentConnection(): Connection {
  // Opened lazily, after the gate confirmed the target is current: opening the name of an in-memory
  // database that a restore already dropped would create a new, empty one.
  if (connection === undefined) {
    connection = new Connection(target.location, {
      role: 'read',
      foreignKeys: target.foreignKeys,
      busyTimeoutMs: busyTimeoutMs(target),
    });
  }
  return connection;
}

/**
 * Runs the query and returns the results not yet posted, or undefined when the worker must first move to
 * a newer target. With a timeout and several statements, each result is posted as soon as it is known, so
 * that a timeout can still answer with the finished ones; otherwise they all travel in one message.
 */
function runQuery(message: Extract<ToReadWorker, { kind: 'query' }>): StatementResult[] | undefined {
  const deadlineMs = message.timeoutMs > 0 ? performance.now() + message.timeoutMs : Number.POSITIVE_INFINITY;
  const streaming = message.timeoutMs > 0 && message.statements.length > 1;
  const held: StatementResult[] = [];
  const answer = (index: number, result: StatementResult): void => {
    if (streaming) post({ kind: 'result', id: message.id, index, result });
    else held.push(result);
  };
  const timedOut = (from: number): StatementResult[] => {
    for (let index = from; index < message.statements.length; index++) {
      answer(index, { kind: 'error', error: queryTimeoutMessage });
    }
    return held;
  };
  // Each round pins a snapshot; a round repeats only if a change began during the pinning, which is
  // short, and the deadline bounds the rounds.
  for (;;) {
    const sequence = gate.enterRead(data.slot, deadlineMs);
    if (sequence === undefined) return timedOut(0);
    try {
      if (gate.generation !== target.generation) return undefined;
      const reader = currentConnection();
      // One read transaction for the whole query, pinned at a moment between two changes: every
      // statement sees the database as some command left it, never half-way through one.
      reader.prepare('BEGIN').run();
      try {
        reader.prepare('PRAGMA schema_version').raw(true).get();
        if (gate.sequence !== sequence) continue; // a change began while pinning: pin again
        for (const [index, statement] of message.statements.entries()) {
          if (performance.now() >= deadlineMs) return timedOut(index);
          answer(index, runOnReadPath(reader, statement));
        }
        return held;
      } finally {
        if (reader.inTransaction) reader.prepare('COMMIT').run();
      }
    } finally {
      gate.leaveRead(data.slot);
    }
  }
}

port.on('message', (message: ToReadWorker) => {
  switch (message.kind) {
    case 'retarget':
      target = message.target;
      connection?.close();
      connection = undefined;
      return;
    case 'query':
      try {
        const results = runQuery(message);
        if (results === undefined) post({ kind: 'stale', id: message.id });
        else post({ kind: 'done', id: message.id, results });
      } catch (error) {
        const text =
          error instanceof Database.SqliteError || error instanceof Error ? error.message : String(error);
        post({ kind: 'failed', id: message.id, message: text });
      }
      return;
  }
});
