// The SQL dump of a database file as a readable byte stream. The dump runs in a worker thread, which
// produces a chunk only when the stream asks for one (that is, when its reader has taken what it had),
// so memory stays bounded by a chunk or two whatever the size of the database or the speed of the
// client. Destroying the stream stops the worker.
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

import type { DumpWorkerData, FromDumpWorker, ToDumpWorker } from './backup-protocol.js';
import { SqliteStateMachineError } from './errors.js';

export interface DumpFileOptions {
  /** Only these tables and what belongs to them; empty for all (see dump.ts). */
  readonly tables: readonly string[];
  /** Size of the chunks the worker sends. Default 64 KiB. */
  readonly chunkBytes?: number;
}

const defaultChunkBytes = 64 * 1024;

/**
 * Dumps the database file at `path` (which nothing may write meanwhile) as SQL text. The stream fails
 * with an `io` SqliteStateMachineError if the file cannot be read.
 */
export function dumpDatabaseFile(path: string, options: DumpFileOptions): Readable {
  const data: DumpWorkerData = {
    path,
    tables: [...options.tables],
    chunkBytes: options.chunkBytes ?? defaultChunkBytes,
  };
  const worker = new Worker(new URL('./dump-worker.js', import.meta.url), { workerData: data });
  let asked = false;
  let ended = false;
  const stream = new Readable({
    read() {
      // One request at a time: the next is sent once its chunk has arrived and been pushed.
      if (asked || ended) return;
      asked = true;
      const message: ToDumpWorker = { kind: 'pull' };
      worker.postMessage(message);
    },
    destroy(error, callback) {
      void worker.terminate();
      callback(error);
    },
  });
  const fail = (message: string): void => {
    stream.destroy(new SqliteStateMachineError('io', `the SQL dump failed: ${message}`));
  };
  worker.on('message', (message: FromDumpWorker) => {
    asked = false;
    switch (message.kind) {
      case 'chunk':
        stream.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
        return;
      case 'end':
        ended = true;
        stream.push(null);
        void worker.terminate();
        return;
      case 'failed':
        fail(message.message);
        return;
    }
  });
  worker.on('error', (error) => fail(error.message));
  worker.on('exit', () => {
    if (!ended) fail('the dump worker stopped before the end of the dump');
  });
  return stream;
}
