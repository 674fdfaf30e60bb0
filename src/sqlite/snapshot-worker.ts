// A one-off worker that copies an on-disk database for a snapshot without blocking the main thread. It
// pins a read transaction between two commands (as read workers do, see apply-gate.ts), says so, then
// reads every page under that transaction while the writer goes on: WAL keeps the pinned state intact.
import { parentPort, workerData } from 'node:worker_threads';

import { ApplyGate } from './apply-gate.js';
import { Connection } from './connection.js';
import { toRollbackJournalImage } from './image.js';
import type { FromSnapshotWorker, ReadWorkerData } from './read-protocol.js';

const port = parentPort;
if (port === null) throw new Error('snapshot-worker.js runs only as a worker thread');
const data = workerData as ReadWorkerData;
const gate = new ApplyGate(data.gateBuffer);
// Pinning waits only for the change in progress, if any; this bounds a wait that should never be long.
const pinTimeoutMs = 60_000;

function post(message: FromSnapshotWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function copyDatabase(): void {
  const deadlineMs = performance.now() + pinTimeoutMs;
  // A round repeats only if a change began during the pinning; the deadline bounds the rounds.
  for (;;) {
    const sequence = gate.enterRead(data.slot, deadlineMs);
    if (sequence === undefined) {
      post({ kind: 'failed', message: `could not pin a snapshot within ${pinTimeoutMs} ms` });
      return;
    }
    try {
      const connection = new Connection(data.target.location, {
        role: 'read',
        foreignKeys: data.target.foreignKeys,
        busyTimeoutMs: 5000,
      });
      try {
        connection.prepare('BEGIN').run();
        connection.prepare('PRAGMA schema_version').raw(true).get();
        if (gate.sequence !== sequence) continue;
        post({ kind: 'pinned' });
        const copy = toRollbackJournalImage(connection.raw.serialize());
        // A buffer of its own, so that it can be handed over without another copy.
        const image = new Uint8Array(copy.length);
        image.set(copy);
        post({ kind: 'image', image }, [image.buffer]);
        return;
      } finally {
        if (connection.inTransaction) connection.prepare('COMMIT').run();
        connection.close();
      }
    } finally {
      gate.leaveRead(data.slot);
    }
  }
}

try {
  copyDatabase();
} catch (error) {
  post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
}
