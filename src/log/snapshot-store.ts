// Snapshots on disk. A save streams the data into a temporary file, fsyncs it, renames it into place and fsyncs
// the directory, so a snapshot file either exists complete or not at all; leftovers of an interrupted save are
// removed at open. The newest `keep` snapshots are kept so that one being read while a newer one is saved stays.
import fsp from 'node:fs/promises';
import path from 'node:path';

import { isNonNegativeInteger } from './binary.js';
import { crc32 } from './crc.js';
import { nodeDisk } from './disk.js';
import { LogConfigError, SnapshotCorruptError, SnapshotUsageError, describe } from './errors.js';
import {
  decodeSnapshotHeader,
  decodeSnapshotHeaderStart,
  decodeSnapshotTrailer,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotHeaderFixedBytes,
  snapshotMetadataBytesCeiling,
  snapshotTemporarySuffix,
  snapshotTrailerBytes,
  type SnapshotMeta,
} from './snapshot-format.js';
import { consoleWarningSink, type LogWarningSink } from './types.js';

export type { SnapshotMeta } from './snapshot-format.js';

export interface SnapshotStoreOptions {
  /** How many snapshots to keep, newest by index. Default 2. */
  readonly keep?: number;
  /** Largest metadata accepted by save(). Default 16 MiB. */
  readonly metadataBytesMax?: number;
  /** Largest data accepted by save(). Default 1 TiB. */
  readonly dataBytesMax?: number;
  /** Largest data readAll() will load into memory. Default 512 MiB; use stream() beyond it. */
  readonly readAllBytesMax?: number;
  /** Bytes per read when streaming and per write when saving. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** Where removed partial or damaged snapshots are reported. Default: the console. */
  readonly warnings?: LogWarningSink;
}

/** A complete snapshot on disk. Its data lies at [dataOffset, dataOffset + dataBytes) of the file at `path`. */
export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly path: string;
  readonly dataOffset: number;
  readonly dataBytes: number;
  /**
   * The data in chunks. The checksum is verified at the end: the iteration throws SnapshotCorruptError instead
   * of finishing if the data is damaged, so treat the chunks as untrusted until it finishes.
   */
  stream(): AsyncIterable<Uint8Array>;
  /** The whole data in memory, verified; refused with SnapshotUsageError beyond readAllBytesMax. */
  readAll(): Promise<Uint8Array>;
  /** Reads the data through and checks its checksum. */
  verify(): Promise<void>;
  /**
   * Writes the data, verified, to a new file at `file` in chunks (memory stays bounded whatever the
   * size). The file is not synced: it is a working copy. On any failure, a damaged snapshot included, the
   * file is removed and the error thrown.
   */
  copyDataTo(file: string): Promise<void>;
}

export type SnapshotData = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

interface Limits {
  readonly keep: number;
  readonly metadataBytesMax: number;
  readonly dataBytesMax: number;
  readonly readAllBytesMax: number;
  readonly chunkBytes: number;
}

interface Located {
  readonly meta: SnapshotMeta;
  readonly path: string;
  readonly dataOffset: number;
  readonly dataBytes: number;
  readonly dataChecksum: number;
}

const mebibyte = 1024 * 1024;
/**
 * A snapshot being saved is synced every this many bytes rather than once at the end. One sync of a
 * whole database's dirty pages holds the disk long enough that the log's own syncs, queued behind it,
 * stall every write in flight: with three nodes snapshotting a 100 MB database at once, single-client
 * writes took up to 150-250 ms; synced in steps of 8 MiB, up to 50-90 ms.
 */
const syncIntervalBytes = 8 * mebibyte;

function resolveLimits(options: SnapshotStoreOptions): Limits {
  const checked = (
    name: keyof Limits,
    value: number | undefined,
    fallback: number,
    min: number,
    max: number,
  ): number => {
    const result = value ?? fallback;
    if (!Number.isSafeInteger(result) || result < min || result > max) {
      throw new LogConfigError(
        `snapshot option ${name} must be an integer from ${min} to ${max}, not ${String(value)}`,
      );
    }
    return result;
  };
  return {
    keep: checked('keep', options.keep, 2, 1, 1000),
    metadataBytesMax: checked(
      'metadataBytesMax',
      options.metadataBytesMax,
      16 * mebibyte,
      0,
      snapshotMetadataBytesCeiling,
    ),
    dataBytesMax: checked(
      'dataBytesMax',
      options.dataBytesMax,
      1024 * 1024 * mebibyte,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    readAllBytesMax: checked(
      'readAllBytesMax',
      options.readAllBytesMax,
      512 * mebibyte,
      0,
      2 * 1024 * mebibyte,
    ),
    chunkBytes: checked('chunkBytes', options.chunkBytes, mebibyte, 4096, 64 * mebibyte),
  };
}

export class SnapshotStore {
  /** Complete snapshots, newest (highest index, then term) first. */
  private snapshots: Located[];
  private saving: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly directory: string,
    private readonly limits: Limits,
    snapshots: Located[],
  ) {
    this.snapshots = snapshots;
  }

  /**
   * Opens the store in `directory` (created if missing). Leftovers of interrupted saves and snapshot files that
   * do not check out (bad header or trailer, wrong size) are removed with a warning.
   */
  static async open(directory: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    const limits = resolveLimits(options);
    const warnings = options.warnings ?? consoleWarningSink;
    await nodeDisk.makeDirectory(directory);
    const found: Located[] = [];
    let removed = 0;
    for (const name of await fsp.readdir(directory)) {
      const file = path.join(directory, name);
      if (
        name.endsWith(snapshotTemporarySuffix) &&
        parseSnapshotFileName(name.slice(0, -snapshotTemporarySuffix.length))
      ) {
        warnings.warn(`snapshots: removed ${file}, left by a save that did not finish`);
        await fsp.rm(file, { force: true });
        removed++;
        continue;
      }
      const named = parseSnapshotFileName(name);
      if (named === undefined) continue;
      const located = await locate(file);
      if (
        typeof located !== 'string' &&
        located.meta.index === named.index &&
        located.meta.term === named.term
      ) {
        found.push(located);
        continue;
      }
      const problem =
        typeof located === 'string'
          ? located
          : `its header says index ${located.meta.index} term ${located.meta.term}, unlike its name`;
      warnings.warn(`snapshots: removed ${file}, which is not a complete snapshot: ${problem}`);
      await fsp.rm(file, { force: true });
      removed++;
    }
    if (removed > 0) await nodeDisk.syncDirectory(directory);
    const store = new SnapshotStore(directory, limits, found.sort(newestFirst));
    await store.prune();
    return store;
  }

  /** The newest complete snapshot, or undefined when there is none. */
  latest(): StoredSnapshot | undefined {
    const newest = this.snapshots[0];
    return newest === undefined ? undefined : this.stored(newest);
  }

  /** Every complete snapshot, newest first. */
  list(): StoredSnapshot[] {
    return this.snapshots.map((located) => this.stored(located));
  }

  /**
   * Writes a snapshot durably and atomically, then prunes old ones. `data` may be streamed so that a large
   * database never needs to be in memory twice. Saves run one at a time, in call order.
   */
  save(meta: SnapshotMeta, data: SnapshotData): Promise<StoredSnapshot> {
    const { index, term, metadata } = meta;
    if (!isNonNegativeInteger(index) || !isNonNegativeInteger(term)) {
      return Promise.reject(
        new SnapshotUsageError(`a snapshot's index and term are non-negative integers (${index}, ${term})`),
      );
    }
    if (!(metadata instanceof Uint8Array) || metadata.byteLength > this.limits.metadataBytesMax) {
      return Promise.reject(
        new SnapshotUsageError(
          `snapshot metadata must be a Uint8Array of at most ${this.limits.metadataBytesMax} bytes`,
        ),
      );
    }
    const result = this.saving.then(() => this.saveNow({ index, term, metadata: metadata.slice() }, data));
    this.saving = result.catch(() => undefined);
    return result;
  }

  /**
   * Saves the contents of the file at `file` as the data of a snapshot, as save() does, reading it in
   * chunks so that memory stays bounded whatever its size. The file is left in place.
   */
  async saveFile(meta: SnapshotMeta, file: string): Promise<StoredSnapshot> {
    const handle = await fsp.open(file, 'r');
    try {
      return await this.save(meta, readFileChunks(handle, this.limits.chunkBytes));
    } finally {
      await handle.close();
    }
  }

  private async saveNow(meta: SnapshotMeta, data: SnapshotData): Promise<StoredSnapshot> {
    const finalPath = path.join(this.directory, snapshotFileName(meta.index, meta.term));
    const temporaryPath = finalPath + snapshotTemporarySuffix;
    const header = encodeSnapshotHeader(meta);
    const handle = await fsp.open(temporaryPath, 'w');
    let closed = false;
    try {
      const writer = new ChunkWriter(handle, this.limits.chunkBytes);
      await writer.write(header.bytes);
      let dataBytes = 0;
      let dataChecksum = 0;
      let syncedBytes = 0;
      for await (const chunk of chunksOf(data)) {
        if (!(chunk instanceof Uint8Array))
          throw new SnapshotUsageError('snapshot data chunks must be Uint8Arrays');
        dataBytes += chunk.byteLength;
        if (dataBytes > this.limits.dataBytesMax) {
          throw new SnapshotUsageError(
            `snapshot data exceeds dataBytesMax (${this.limits.dataBytesMax} bytes)`,
          );
        }
        dataChecksum = crc32(chunk, dataChecksum);
        await writer.write(chunk);
        if (writer.written - syncedBytes >= syncIntervalBytes) {
          await writer.flush();
          await handle.datasync();
          syncedBytes = writer.written;
        }
      }
      await writer.write(encodeSnapshotTrailer(dataBytes, dataChecksum, header.checksum));
      await writer.flush();
      await handle.datasync();
      closed = true;
      await handle.close();
      await fsp.rename(temporaryPath, finalPath);
      await nodeDisk.syncDirectory(this.directory);
      const located: Located = {
        meta,
        path: finalPath,
        dataOffset: header.bytes.byteLength,
        dataBytes,
        dataChecksum,
      };
      this.snapshots = [located, ...this.snapshots.filter((other) => other.path !== finalPath)].sort(
        newestFirst,
      );
      await this.prune();
      return this.stored(located);
    } catch (error) {
      if (!closed) await handle.close().catch(() => undefined);
      await fsp.rm(temporaryPath, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  private async prune(): Promise<void> {
    const excess = this.snapshots.slice(this.limits.keep);
    if (excess.length === 0) return;
    this.snapshots = this.snapshots.slice(0, this.limits.keep);
    for (const old of excess) await fsp.rm(old.path, { force: true });
    await nodeDisk.syncDirectory(this.directory);
  }

  private stored(located: Located): StoredSnapshot {
    const { chunkBytes, readAllBytesMax } = this.limits;
    const stream = (): AsyncIterable<Uint8Array> => readData(located, chunkBytes);
    return {
      meta: { ...located.meta, metadata: located.meta.metadata.slice() },
      path: located.path,
      dataOffset: located.dataOffset,
      dataBytes: located.dataBytes,
      stream,
      async readAll() {
        if (located.dataBytes > readAllBytesMax) {
          throw new SnapshotUsageError(
            `snapshot ${located.path} holds ${located.dataBytes} bytes, more than readAllBytesMax ` +
              `(${readAllBytesMax}); read it with stream()`,
          );
        }
        const all = new Uint8Array(located.dataBytes);
        let position = 0;
        for await (const chunk of stream()) {
          all.set(chunk, position);
          position += chunk.byteLength;
        }
        return all;
      },
      async verify() {
        for await (const chunk of stream()) void chunk;
      },
      async copyDataTo(file: string) {
        const handle = await fsp.open(file, 'wx');
        try {
          let position = 0;
          for await (const chunk of stream()) {
            await writeFully(handle, chunk, position);
            position += chunk.byteLength;
          }
          await handle.close();
        } catch (error) {
          await handle.close().catch(() => undefined);
          await fsp.rm(file, { force: true }).catch(() => undefined);
          throw error;
        }
      },
    };
  }
}

function newestFirst(a: Located, b: Located): number {
  return b.meta.index - a.meta.index || b.meta.term - a.meta.term;
}

async function* chunksOf(data: SnapshotData): AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data;
    return;
  }
  yield* data;
}

/** Coalesces small chunks into writes of about `chunkBytes`. */
class ChunkWriter {
  private readonly buffer: Uint8Array;
  private filled = 0;
  private position = 0;

  constructor(
    private readonly handle: fsp.FileHandle,
    chunkBytes: number,
  ) {
    this.buffer = new Uint8Array(chunkBytes);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.filled + bytes.byteLength <= this.buffer.byteLength) {
      this.buffer.set(bytes, this.filled);
      this.filled += bytes.byteLength;
      return;
    }
    await this.flush();
    if (bytes.byteLength >= this.buffer.byteLength) {
      await this.writeFully(bytes);
    } else {
      this.buffer.set(bytes, 0);
      this.filled = bytes.byteLength;
    }
  }

  /** Bytes handed to the file so far (buffered ones not counted). */
  get written(): number {
    return this.position;
  }

  async flush(): Promise<void> {
    if (this.filled === 0) return;
    await this.writeFully(this.buffer.subarray(0, this.filled));
    this.filled = 0;
  }

  private async writeFully(bytes: Uint8Array): Promise<void> {
    await writeFully(this.handle, bytes, this.position);
    this.position += bytes.byteLength;
  }
}

async function writeFully(handle: fsp.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/**
 * The whole file behind `handle`, in chunks of `chunkBytes` read into one buffer: each chunk is valid only
 * until the next is asked for. The snapshot being saved consumes each chunk before the next; a buffer per
 * chunk would leave the whole database in garbage buffers, which the engine collects late because they
 * live outside its heap (a 100 MB database added 30 MB to a node's peak that way).
 */
async function* readFileChunks(handle: fsp.FileHandle, chunkBytes: number): AsyncIterable<Uint8Array> {
  const buffer = new Uint8Array(chunkBytes);
  let position = 0;
  for (;;) {
    const chunk = await readExactlyInto(handle, position, buffer);
    if (chunk.byteLength === 0) return;
    position += chunk.byteLength;
    yield chunk;
    if (chunk.byteLength < chunkBytes) return;
  }
}

/** Reads and checks a snapshot file's header and trailer; returns where its data is, or the problem. */
async function locate(file: string): Promise<Located | string> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (error) {
    return `it cannot be opened (${describe(error)})`;
  }
  try {
    const fileBytes = (await handle.stat()).size;
    const fixed = await readExactly(handle, 0, Math.min(snapshotHeaderFixedBytes, fileBytes));
    const start = decodeSnapshotHeaderStart(fixed);
    if (typeof start === 'string') return start;
    const headerBytes = snapshotHeaderFixedBytes + start.metadataBytes + 4;
    if (fileBytes < headerBytes + snapshotTrailerBytes)
      return 'the file is too short for its header and trailer';
    const header = decodeSnapshotHeader(await readExactly(handle, 0, headerBytes));
    if (typeof header === 'string') return header;
    const trailer = decodeSnapshotTrailer(
      await readExactly(handle, fileBytes - snapshotTrailerBytes, snapshotTrailerBytes),
      header.checksum,
    );
    if (typeof trailer === 'string') return trailer;
    if (headerBytes + trailer.dataBytes + snapshotTrailerBytes !== fileBytes) {
      return `the file is ${fileBytes} bytes but its header and trailer describe ${headerBytes + trailer.dataBytes + snapshotTrailerBytes}`;
    }
    return {
      meta: header.meta,
      path: file,
      dataOffset: headerBytes,
      dataBytes: trailer.dataBytes,
      dataChecksum: trailer.dataChecksum,
    };
  } finally {
    await handle.close();
  }
}

async function readExactly(handle: fsp.FileHandle, position: number, length: number): Promise<Uint8Array> {
  return readExactlyInto(handle, position, new Uint8Array(length));
}

/** Fills `bytes` from `position` on, or as much of it as the file holds; returns the filled part. */
async function readExactlyInto(
  handle: fsp.FileHandle,
  position: number,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const length = bytes.byteLength;
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return bytes.subarray(0, done);
}

async function* readData(located: Located, chunkBytes: number): AsyncIterable<Uint8Array> {
  const handle = await fsp.open(located.path, 'r');
  try {
    let checksum = 0;
    let done = 0;
    while (done < located.dataBytes) {
      const length = Math.min(chunkBytes, located.dataBytes - done);
      const chunk = await readExactly(handle, located.dataOffset + done, length);
      if (chunk.byteLength !== length) {
        throw new SnapshotCorruptError(located.path, `the file ends ${located.dataBytes - done} bytes early`);
      }
      checksum = crc32(chunk, checksum);
      done += length;
      if (done === located.dataBytes && checksum !== located.dataChecksum) {
        throw new SnapshotCorruptError(located.path, 'the data checksum does not match');
      }
      yield chunk;
    }
    if (located.dataBytes === 0 && located.dataChecksum !== 0) {
      throw new SnapshotCorruptError(located.path, 'the data checksum does not match');
    }
  } finally {
    await handle.close();
  }
}
