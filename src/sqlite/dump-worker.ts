// A worker thread that dumps a database file as SQL text (dump.ts), one chunk each time the main thread
// asks for one, so that the dump never runs ahead of the client that reads it and the main thread's
// event loop never waits for SQLite.
import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

import { sqlDump } from './dump.js';
import type { DumpWorkerData, FromDumpWorker, ToDumpWorker } from './backup-protocol.js';

const port = parentPort;
if (port === null) throw new Error('dump-worker.js runs only as a worker thread');
const data = workerData as DumpWorkerData;

function post(message: FromDumpWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

let connection: Database.Database | undefined;
let chunks: Iterator<Buffer> | undefined;

function nextChunk(): void {
  if (chunks === undefined) {
    connection = new Database(data.path, { readonly: true, fileMustExist: true });
    connection.defaultSafeIntegers(true);
    chunks = sqlDump(connection, { tables: data.tables, chunkBytes: data.chunkBytes });
  }
  const next = chunks.next();
  if (next.done === true) {
    connection?.close();
    post({ kind: 'end' });
    return;
  }
  // A chunk owns its memory (dump.ts allocates a new buffer for each), so it is handed over, not copied.
  const chunk = next.value;
  post({ kind: 'chunk', bytes: chunk }, [chunk.buffer as ArrayBuffer]);
}

port.on('message', (message: ToDumpWorker) => {
  switch (message.kind) {
    case 'pull':
      try {
        nextChunk();
      } catch (error) {
        connection?.close();
        post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
      return;
  }
});
