// Shared test fixtures for the log: temporary directories, deterministic entries, a warning collector and a disk
// wrapper that counts, delays or fails operations.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { AppendFile, LogDisk } from '../../src/log/disk.js';
import { nodeDisk } from '../../src/log/disk.js';
import type { DurableLog } from '../../src/log/durable-log.js';
import type { LogEntry, LogWarningSink } from '../../src/log/types.js';

/** A fresh temporary directory, removed by the returned cleanup. */
export function temporaryDirectory(): { directory: string; remove: () => void } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-log-test-'));
  return { directory, remove: () => fs.rmSync(directory, { recursive: true, force: true }) };
}

/** Payload bytes that depend on index, term and a salt, so any mix-up between entries is visible. */
export function payload(index: number, term: number, bytes: number, salt = 0): Uint8Array {
  const data = new Uint8Array(bytes);
  let state = (index * 2654435761 + term * 40503 + salt * 97) >>> 0;
  for (let i = 0; i < bytes; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

export function entry(index: number, term: number, bytes = 64, salt = 0): LogEntry {
  return { index, term, kind: (index + term) % 256, data: payload(index, term, bytes, salt) };
}

export function entries(from: number, to: number, term: number, bytes = 64, salt = 0): LogEntry[] {
  const result: LogEntry[] = [];
  for (let index = from; index <= to; index++) result.push(entry(index, term, bytes, salt));
  return result;
}

/** Asserts that the log holds exactly `expected`, read back in one call and one entry at a time. */
export function assertEntries(log: DurableLog, expected: readonly LogEntry[]): void {
  const first = expected[0];
  if (first === undefined) return;
  const last = expected[expected.length - 1]!;
  const all = log.entries(first.index, last.index + 1);
  assert.equal(all.length, expected.length);
  for (const [i, want] of expected.entries()) {
    const got = all[i]!;
    assert.equal(got.index, want.index, `index at position ${i}`);
    assert.equal(got.term, want.term, `term of entry ${want.index}`);
    assert.equal(got.kind, want.kind, `kind of entry ${want.index}`);
    assert.deepEqual(Buffer.from(got.data), Buffer.from(want.data), `payload of entry ${want.index}`);
    assert.equal(log.term(want.index), want.term);
  }
}

export class CollectedWarnings implements LogWarningSink {
  readonly messages: string[] = [];
  warn(message: string): void {
    this.messages.push(message);
  }
}

/** A disk whose file syncs can be held back, counted or made to fail. */
export class ControlledDisk implements LogDisk {
  fileSyncs = 0;
  /** While set, every sync() waits for this promise. */
  holdSyncs: Promise<void> | undefined;
  /** When set, sync() rejects with this error. */
  failSyncs: Error | undefined;

  makeDirectory = nodeDisk.makeDirectory;
  list = nodeDisk.list;
  fileBytes = nodeDisk.fileBytes;
  openRead = nodeDisk.openRead;
  rename = nodeDisk.rename;
  remove = nodeDisk.remove;
  syncDirectory = nodeDisk.syncDirectory;

  async createFile(file: string): Promise<AppendFile> {
    return this.wrap(await nodeDisk.createFile(file));
  }

  async openAppend(file: string): Promise<AppendFile> {
    return this.wrap(await nodeDisk.openAppend(file));
  }

  private wrap(inner: AppendFile): AppendFile {
    return {
      write: (bytes, position) => inner.write(bytes, position),
      truncate: (size) => inner.truncate(size),
      close: () => inner.close(),
      sync: async () => {
        if (this.holdSyncs !== undefined) await this.holdSyncs;
        if (this.failSyncs !== undefined) throw this.failSyncs;
        await inner.sync();
        this.fileSyncs++;
      },
    };
  }
}

/** A promise with its resolver, for holding operations back. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets queued callbacks (nextTick, promise reactions, I/O completions) run. */
export function settle(turns = 5): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number): void => {
      if (left === 0) resolve();
      else setImmediate(() => step(left - 1));
    };
    step(turns);
  });
}

export function segmentFiles(directory: string): string[] {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.seg'))
    .sort()
    .map((name) => path.join(directory, name));
}
