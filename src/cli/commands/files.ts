// Local files for backup, dump, restore and boot: written through a temporary file so that a failed
// transfer never leaves a truncated file where a good one was; read with the SQLite header sniffed and
// gzip undone, so that `.restore backup.sqlite.gz` works as well as `.restore backup.sqlite`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { fileError } from '../errors.js';

const sqliteHeader = Buffer.from('SQLite format 3\u0000', 'latin1');
const gzipMagic = Buffer.from([0x1f, 0x8b]);

/** A file being written; commit() puts it in place, discard() removes it. */
export class PendingFile {
  private readonly temporary: string;
  private readonly descriptor: number;
  private open = true;

  constructor(readonly target: string) {
    this.temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
    try {
      this.descriptor = fs.openSync(this.temporary, 'w', 0o644);
    } catch (error) {
      throw fileError('create', target, error);
    }
  }

  write(chunk: Buffer): void {
    try {
      fs.writeSync(this.descriptor, chunk);
    } catch (error) {
      throw fileError('write to', this.target, error);
    }
  }

  commit(): void {
    this.close();
    try {
      fs.renameSync(this.temporary, this.target);
    } catch (error) {
      this.discard();
      throw fileError('write', this.target, error);
    }
  }

  discard(): void {
    this.close();
    fs.rmSync(this.temporary, { force: true });
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    fs.closeSync(this.descriptor);
  }
}

function readHead(file: string, bytes: number): Buffer {
  let descriptor: number;
  try {
    descriptor = fs.openSync(file, 'r');
  } catch (error) {
    throw fileError('open', file, error);
  }
  try {
    const head = Buffer.alloc(bytes);
    const read = fs.readSync(descriptor, head, 0, bytes, 0);
    return head.subarray(0, read);
  } finally {
    fs.closeSync(descriptor);
  }
}

export interface InputFile {
  /** The file to send: the original, or its decompressed copy. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly isSqlite: boolean;
  /** Removes the decompressed copy, if one was made. */
  release(): void;
}

/** Opens a file to upload; a gzip file is decompressed into a temporary copy first. */
export async function openInputFile(file: string): Promise<InputFile> {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch (error) {
    throw fileError('read', file, error);
  }
  if (!stats.isFile())
    throw fileError('read', file, Object.assign(new Error('not a regular file'), { code: '' }));
  const head = readHead(file, sqliteHeader.length);
  if (head.subarray(0, 2).equals(gzipMagic)) {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-restore-'));
    const copy = path.join(directory, 'data');
    try {
      await pipeline(fs.createReadStream(file), zlib.createGunzip(), fs.createWriteStream(copy));
    } catch (error) {
      fs.rmSync(directory, { recursive: true, force: true });
      throw fileError('decompress', file, error);
    }
    const copyHead = readHead(copy, sqliteHeader.length);
    return {
      path: copy,
      sizeBytes: fs.statSync(copy).size,
      isSqlite: copyHead.equals(sqliteHeader),
      release: () => fs.rmSync(directory, { recursive: true, force: true }),
    };
  }
  return { path: file, sizeBytes: stats.size, isSqlite: head.equals(sqliteHeader), release: () => undefined };
}
