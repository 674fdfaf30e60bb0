// Backups, loads, boots and snapshots over a DustNode (the HTTP layer's BackupStore). Large data goes
// through files in a work directory inside the data directory, never through memory whole:
// - a backup first copies the database, consistently, to a file there (off the main thread), then
//   streams that file, or its VACUUM INTO copy, or its SQL dump made row by row in a worker;
// - a boot streams the upload to a file there, checks it (header, quick_check, VACUUM INTO) and only
//   then installs it.
// Work files are removed when their transfer ends, and any left by a crash are removed at start.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { encodeCommand } from '../command/codec.js';
import type { StatementResult } from '../command/types.js';
import {
  BackupError,
  type BackupOptions,
  type BackupStore,
  type BackupStream,
  type LeaderHint,
  NotReadyError,
  type OperationOptions,
  type StatementsResponse,
  StoreError,
} from '../http/store.js';
import { copyLiveDatabase, vacuumDatabaseFile } from '../sqlite/backup-copy.js';
import { dumpDatabaseFile } from '../sqlite/dump-stream.js';
import { SqliteStateMachineError } from '../sqlite/errors.js';
import {
  checkImageHeader,
  imageHeaderBytes,
  isImageProblem,
  startsLikeSqlite,
} from '../sqlite/image-check.js';
import { BootRefusedError, type DustNode } from './node.js';
import { requireLeaderRole, storeErrorOf } from './loop-errors.js';

export interface BackupStoreOptions {
  /** The work directory for copies and uploads; emptied at start. Put it on the data directory's disk. */
  readonly workDirectory: string;
  /** Backups and boots in progress at once; more are refused as `busy`. Each holds a database copy. */
  readonly transfersMax: number;
  /** Where the leader's HTTP API is, for `redirect`; undefined when unknown. */
  readonly leaderHint: (leaderId: string) => LeaderHint;
}

const readChunkBytes = 1024 * 1024;
const sqliteMagicBytes = 16;
const formatVersionOffset = 18;

export class NodeBackupStore implements BackupStore {
  private transfers = 0;

  constructor(
    private readonly node: DustNode,
    private readonly options: BackupStoreOptions,
  ) {
    if (!Number.isSafeInteger(options.transfersMax) || options.transfersMax < 1) {
      throw new RangeError(`transfersMax must be a positive integer, got ${options.transfersMax}`);
    }
    // Whatever is here was left by a transfer that never finished: a crash, or a kill.
    fs.rmSync(options.workDirectory, { recursive: true, force: true });
    fs.mkdirSync(options.workDirectory, { recursive: true });
  }

  async backup(request: BackupOptions): Promise<BackupStream> {
    this.requireReady();
    if (!request.noLeader) this.requireLeader();
    const release = this.startTransfer();
    const files: string[] = [];
    try {
      const copy = this.workFile('backup', files);
      await copyLiveDatabase(this.node.reads, this.node.database, copy);
      if (request.format === 'sql') {
        const bytes = dumpDatabaseFile(copy, { tables: request.tables });
        return this.stream(bytes, files, release);
      }
      let source = copy;
      if (request.vacuum) {
        source = this.workFile('vacuum', files);
        await vacuumDatabaseFile(copy, source, { check: false });
        await fsp.rm(copy, { force: true });
      }
      // The binary form says WAL, as rqlite's does; `delete` is the rollback-journal form.
      const journalVersion = request.format === 'binary' ? 2 : 1;
      return this.stream(readImageFile(source, journalVersion), files, release);
    } catch (error) {
      await removeFiles(files);
      release();
      throw translate(error);
    }
  }

  async load(image: Uint8Array, _options: OperationOptions): Promise<StatementsResponse> {
    this.requireReady();
    const checked = checkImageHeader(image.subarray(0, imageHeaderBytes), image.byteLength);
    if (isImageProblem(checked))
      throw new BackupError('invalid_data', `invalid SQLite data: ${checked.message}`);
    let proposed: { index: number; result: unknown };
    try {
      proposed = await this.node.loop.propose(encodeCommand({ kind: 'load', database: image }));
    } catch (error) {
      throw this.translateLoopError(error);
    }
    const { index, result } = proposed;
    if (result instanceof Error) throw new StoreError('failed', result.message, { cause: result });
    if (!Array.isArray(result)) throw new Error('a load command was applied without a result list');
    // The state machine answers a load it could not apply with one error, and changed nothing.
    const failed = (result as readonly StatementResult[]).find((item) => item.kind === 'error');
    if (failed?.kind === 'error') throw new StoreError('failed', `invalid SQLite data: ${failed.error}`);
    return { results: [], raftIndex: index };
  }

  async boot(
    body: AsyncIterable<Uint8Array>,
    options: { readonly bytesMax: number; readonly signal: AbortSignal },
  ): Promise<void> {
    this.requireReady();
    if (!this.node.isSoleLeader()) {
      throw new BackupError(
        'not_single_node',
        'booting needs a cluster of one node: this node is not the only member and leader of its cluster',
      );
    }
    const release = this.startTransfer();
    const files: string[] = [];
    try {
      const upload = this.workFile('boot', files);
      const received = await receiveUpload(body, upload, options.bytesMax);
      const checked = checkImageHeader(received.head, received.bytes);
      if (isImageProblem(checked))
        throw new BackupError('invalid_data', `invalid SQLite data: ${checked.message}`);
      const checkedCopy = this.workFile('boot-checked', files);
      try {
        await vacuumDatabaseFile(upload, checkedCopy, { check: true });
      } catch (error) {
        if (error instanceof SqliteStateMachineError && error.code === 'invalid_image') {
          throw new BackupError('invalid_data', `invalid SQLite data: ${error.message}`, { cause: error });
        }
        throw error;
      }
      await fsp.rm(upload, { force: true });
      // The node installs the checked copy from its file: a large image is never held in memory.
      await this.node.boot({ file: checkedCopy });
    } catch (error) {
      throw translate(error);
    } finally {
      await removeFiles(files);
      release();
    }
  }

  async snapshot(options: { readonly trailingLogs: number }): Promise<boolean> {
    this.requireReady();
    return this.node.snapshot({ trailingEntries: options.trailingLogs });
  }

  private stream(bytes: Readable, files: readonly string[], release: () => void): BackupStream {
    let closed: Promise<void> | undefined;
    return {
      bytes,
      close: () => {
        closed ??= (async () => {
          bytes.destroy();
          await removeFiles(files);
          release();
        })();
        return closed;
      },
    };
  }

  private startTransfer(): () => void {
    if (this.transfers >= this.options.transfersMax) {
      throw new BackupError(
        'busy',
        `${this.transfers} backups or boots are already in progress (the most at once); retry when one has finished`,
      );
    }
    this.transfers++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.transfers--;
    };
  }

  private workFile(purpose: string, files: string[]): string {
    const file = path.join(this.options.workDirectory, `${purpose}-${randomUUID()}.sqlite`);
    files.push(file);
    return file;
  }

  private translateLoopError(error: unknown): Error {
    return storeErrorOf(error, this.options.leaderHint);
  }

  private requireReady(): void {
    if (!this.node.isReady()) throw new NotReadyError();
  }

  private requireLeader(): void {
    requireLeaderRole(this.node.loop.softState(), this.options.leaderHint);
  }
}

/**
 * Writes the upload to `file`, refusing it as soon as it passes `bytesMax`; returns its length and its
 * first bytes (for the header check).
 */
async function receiveUpload(
  body: AsyncIterable<Uint8Array>,
  file: string,
  bytesMax: number,
): Promise<{ bytes: number; head: Uint8Array }> {
  const handle = await fsp.open(file, 'w');
  const head = new Uint8Array(imageHeaderBytes);
  let bytes = 0;
  try {
    for await (const chunk of body) {
      if (bytes + chunk.byteLength > bytesMax) {
        throw new BackupError(
          'too_large',
          `the database is too large to boot from: the limit is ${bytesMax} bytes`,
        );
      }
      if (bytes < imageHeaderBytes) head.set(chunk.subarray(0, imageHeaderBytes - bytes), bytes);
      await handle.write(chunk);
      bytes += chunk.byteLength;
      // Data that is not SQLite is refused as soon as its first bytes show it, not after the whole upload.
      if (bytes >= sqliteMagicBytes && !startsLikeSqlite(head)) {
        throw new BackupError(
          'invalid_data',
          'invalid SQLite data: not a SQLite database: it does not start with "SQLite format 3"',
        );
      }
    }
  } finally {
    await handle.close();
  }
  return { bytes, head: head.subarray(0, Math.min(bytes, imageHeaderBytes)) };
}

/** A database file as a stream, with its header's journal mode (bytes 18 and 19) set as asked. */
function readImageFile(file: string, journalVersion: 1 | 2): Readable {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const handle = await fsp.open(file, 'r');
    try {
      let position = 0;
      for (;;) {
        const buffer = Buffer.allocUnsafe(readChunkBytes);
        const { bytesRead } = await handle.read(buffer, 0, readChunkBytes, position);
        if (bytesRead === 0) return;
        const chunk = buffer.subarray(0, bytesRead);
        if (position <= formatVersionOffset + 1 && position + bytesRead > formatVersionOffset + 1) {
          chunk[formatVersionOffset - position] = journalVersion;
          chunk[formatVersionOffset + 1 - position] = journalVersion;
        }
        position += bytesRead;
        yield chunk;
      }
    } finally {
      await handle.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function removeFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => fsp.rm(file, { force: true })));
}

/** The node's and the state machine's failures as the HTTP layer's. */
function translate(error: unknown): unknown {
  if (error instanceof BootRefusedError) {
    if (error.reason === 'not_ready') return new NotReadyError();
    return new BackupError(error.reason, error.message, { cause: error });
  }
  if (error instanceof SqliteStateMachineError && error.code === 'transaction_open') {
    return new BackupError('busy', error.message, { cause: error });
  }
  return error;
}
