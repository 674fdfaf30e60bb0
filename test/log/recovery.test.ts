// Crash recovery with real files: interrupted last writes in their several shapes are cut off with a warning;
// damage anywhere it cannot come from an interrupted write fails the open with the file and offset named.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { DurableLog } from '../../src/log/durable-log.js';
import { LogCorruptError } from '../../src/log/errors.js';
import type { LogEntry } from '../../src/log/types.js';
import { assertEntries, CollectedWarnings, entries, segmentFiles, temporaryDirectory } from './helpers.js';

interface BuiltLog {
  readonly directory: string;
  readonly file: string;
  /** ends[k] is the file offset just past write k; ends[-1] would be the end of the segment's first write. */
  readonly writeStarts: number[];
  readonly writeEnds: number[];
  readonly writes: LogEntry[][];
  readonly remove: () => void;
}

/** Four writes in one segment: entries 1-3, 4-6, 7-9, then a last write of entries 10-29. */
async function buildLog(): Promise<BuiltLog> {
  const { directory, remove } = temporaryDirectory();
  const writes = [
    entries(1, 3, 1, 100),
    entries(4, 6, 1, 100),
    entries(7, 9, 2, 100),
    entries(10, 29, 2, 300),
  ];
  const log = await DurableLog.open(directory);
  const file = segmentFiles(directory)[0]!;
  const writeStarts: number[] = [];
  const writeEnds: number[] = [];
  for (const write of writes) {
    writeStarts.push(fs.statSync(file).size);
    await log.persist({ entries: write });
    writeEnds.push(fs.statSync(file).size);
  }
  await log.close();
  return { directory, file, writeStarts, writeEnds, writes, remove };
}

function overwrite(file: string, position: number, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.byteLength, position);
  } finally {
    fs.closeSync(fd);
  }
}

function flipByte(file: string, position: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const byte = new Uint8Array(1);
    fs.readSync(fd, byte, 0, 1, position);
    byte[0]! ^= 0x5a;
    fs.writeSync(fd, byte, 0, 1, position);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens the damaged log, expects the last write to be cut off with a warning, and checks the rest. */
async function expectLastWriteCutOff(built: BuiltLog): Promise<void> {
  const warnings = new CollectedWarnings();
  const log = await DurableLog.open(built.directory, { warnings });
  try {
    assert.equal(warnings.messages.length, 1, 'one warning about the interrupted write');
    assert.match(warnings.messages[0]!, /interrupted write/);
    assert.ok(warnings.messages[0]!.includes(built.file), 'the warning names the file');
    assert.equal(log.lastIndex(), 9);
    assertEntries(log, built.writes.slice(0, 3).flat());
    assert.equal(
      fs.statSync(built.file).size,
      built.writeStarts[3],
      'the file was cut at the last complete write',
    );
    // The log keeps working where the damaged write was.
    await log.persist({ entries: entries(10, 12, 3, 50) });
  } finally {
    await log.close();
  }
  const reopened = await DurableLog.open(built.directory, { warnings });
  try {
    assert.equal(warnings.messages.length, 1, 'the second open finds nothing to repair');
    assertEntries(reopened, [...built.writes.slice(0, 3).flat(), ...entries(10, 12, 3, 50)]);
  } finally {
    await reopened.close();
  }
}

async function expectCorrupt(built: BuiltLog, file: string, offset: number, problem?: RegExp): Promise<void> {
  await assert.rejects(
    () => DurableLog.open(built.directory, { warnings: new CollectedWarnings() }),
    (error: unknown) => {
      assert.ok(error instanceof LogCorruptError, `expected LogCorruptError, got ${String(error)}`);
      assert.equal(error.code, 'LOG_CORRUPT');
      assert.equal(error.file, file);
      assert.equal(error.offset, offset);
      assert.ok(error.message.includes(file), 'the message names the file');
      assert.ok(error.message.includes(`byte offset ${offset}`), 'the message names the offset');
      if (problem !== undefined) assert.match(error.message, problem);
      return true;
    },
  );
}

async function withBuiltLog(body: (built: BuiltLog) => Promise<void>): Promise<void> {
  const built = await buildLog();
  try {
    await body(built);
  } finally {
    built.remove();
  }
}

void test('interrupted write: the file ends in the middle of the last record', async () => {
  await withBuiltLog(async (built) => {
    fs.truncateSync(built.file, built.writeEnds[3]! - 5);
    await expectLastWriteCutOff(built);
  });
});

void test('interrupted write: the file ends in the middle of a record header', async () => {
  await withBuiltLog(async (built) => {
    fs.truncateSync(built.file, built.writeStarts[3]! + 7);
    await expectLastWriteCutOff(built);
  });
});

void test('interrupted write: the file ends between two records of the last write', async () => {
  await withBuiltLog(async (built) => {
    // Each record of the last write is 16 + 20 + 300 bytes: cut after the fifth.
    fs.truncateSync(built.file, built.writeStarts[3]! + 5 * 336);
    await expectLastWriteCutOff(built);
  });
});

void test('interrupted write: the last write reads back as zeros (its pages never reached the disk)', async () => {
  await withBuiltLog(async (built) => {
    const start = built.writeStarts[3]!;
    overwrite(built.file, start, new Uint8Array(built.writeEnds[3]! - start));
    await expectLastWriteCutOff(built);
  });
});

void test('interrupted write: a bad checksum in the last write', async () => {
  await withBuiltLog(async (built) => {
    flipByte(built.file, built.writeEnds[3]! - 10);
    await expectLastWriteCutOff(built);
  });
});

void test('interrupted write: a zeroed page in the middle of the last write, its later records intact', async () => {
  await withBuiltLog(async (built) => {
    // Pages of one write reach the disk in any order: the middle is lost, the end made it.
    overwrite(built.file, built.writeStarts[3]! + 1000, new Uint8Array(2000));
    await expectLastWriteCutOff(built);
  });
});

void test('interrupted write: garbage in the header of the last write', async () => {
  await withBuiltLog(async (built) => {
    overwrite(built.file, built.writeStarts[3]!, new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]));
    await expectLastWriteCutOff(built);
  });
});

void test('zeros after the last complete write (a preallocated tail) are cut off without losing anything', async () => {
  await withBuiltLog(async (built) => {
    fs.appendFileSync(built.file, new Uint8Array(8192));
    const warnings = new CollectedWarnings();
    const log = await DurableLog.open(built.directory, { warnings });
    try {
      assert.equal(warnings.messages.length, 1);
      assertEntries(log, built.writes.flat());
      assert.equal(fs.statSync(built.file).size, built.writeEnds[3]);
    } finally {
      await log.close();
    }
  });
});

void test('corruption: a bad checksum in an earlier write, followed by intact later writes, is fatal', async () => {
  await withBuiltLog(async (built) => {
    const recordOffset = built.writeStarts[1]!;
    flipByte(built.file, recordOffset + 40); // in the payload of the first record of write 1
    await expectCorrupt(built, built.file, recordOffset, /written after the damaged write/);
  });
});

void test('corruption: a damaged record in the middle of an earlier write is fatal and located', async () => {
  await withBuiltLog(async (built) => {
    const secondRecord = built.writeStarts[2]! + 136; // records of write 2 are 16 + 20 + 100 bytes
    flipByte(built.file, secondRecord + 20);
    await expectCorrupt(built, built.file, secondRecord);
  });
});

void test('corruption: a whole earlier write zeroed, with later writes intact, is fatal', async () => {
  await withBuiltLog(async (built) => {
    const start = built.writeStarts[1]!;
    overwrite(built.file, start, new Uint8Array(built.writeEnds[1]! - start));
    await expectCorrupt(built, built.file, start, /intact record of a later write/);
  });
});

void test('corruption: a damaged length field in an earlier write is fatal', async () => {
  await withBuiltLog(async (built) => {
    const start = built.writeStarts[2]!;
    overwrite(built.file, start, new Uint8Array([0x00, 0x00, 0x10, 0x00]));
    await expectCorrupt(built, built.file, start);
  });
});

void test('corruption: a damaged segment header is fatal', async () => {
  await withBuiltLog(async (built) => {
    flipByte(built.file, 14);
    await expectCorrupt(built, built.file, 0, /header/);
  });
});

async function buildSegmentedLog(): Promise<{ directory: string; files: string[]; remove: () => void }> {
  const { directory, remove } = temporaryDirectory();
  const log = await DurableLog.open(directory, { segmentBytesMax: 4096 });
  for (let i = 1; i <= 100; i += 5) await log.persist({ entries: entries(i, i + 4, 1, 200) });
  await log.close();
  const files = segmentFiles(directory);
  assert.ok(files.length >= 4, `expected several segments, got ${files.length}`);
  return { directory, files, remove };
}

void test('corruption: any damage in a segment that is not the last one is fatal', async () => {
  const segmented = await buildSegmentedLog();
  try {
    const file = segmented.files[1]!;
    const size = fs.statSync(file).size;
    // Damage the last record of a closed segment: in the last segment this would pass for an interrupted write.
    flipByte(file, size - 3);
    await assert.rejects(
      () => DurableLog.open(segmented.directory),
      (error: unknown) =>
        error instanceof LogCorruptError && error.file === file && /not the last one/.test(error.message),
    );
  } finally {
    segmented.remove();
  }
});

void test('corruption: a segment that is not the last one cut short is fatal', async () => {
  const segmented = await buildSegmentedLog();
  try {
    const file = segmented.files[0]!;
    fs.truncateSync(file, fs.statSync(file).size - 100);
    await assert.rejects(
      () => DurableLog.open(segmented.directory),
      (error: unknown) => {
        return error instanceof LogCorruptError && error.file === file;
      },
    );
  } finally {
    segmented.remove();
  }
});

void test('corruption: a missing segment, in the middle or at the start, is fatal', async () => {
  const segmented = await buildSegmentedLog();
  try {
    fs.renameSync(segmented.files[2]!, `${segmented.directory}/moved-away`);
    await assert.rejects(
      () => DurableLog.open(segmented.directory),
      (error: unknown) => {
        return error instanceof LogCorruptError && /segment 3 is missing/.test(error.message);
      },
    );
    fs.renameSync(`${segmented.directory}/moved-away`, segmented.files[2]!);
    fs.rmSync(segmented.files[0]!);
    await assert.rejects(
      () => DurableLog.open(segmented.directory),
      (error: unknown) => {
        return (
          error instanceof LogCorruptError &&
          error.file === segmented.files[1] &&
          /missing/.test(error.message)
        );
      },
    );
  } finally {
    segmented.remove();
  }
});

void test('corruption: a segment renamed out of order is fatal', async () => {
  const segmented = await buildSegmentedLog();
  try {
    const [a, b] = [segmented.files[1]!, segmented.files[2]!];
    fs.renameSync(a, `${a}.swap`);
    fs.renameSync(b, a);
    fs.renameSync(`${a}.swap`, b);
    await assert.rejects(
      () => DurableLog.open(segmented.directory),
      (error: unknown) => {
        return error instanceof LogCorruptError && path.basename(error.file) === path.basename(a);
      },
    );
  } finally {
    segmented.remove();
  }
});

void test('an interrupted write in the last of several segments is cut off', async () => {
  const segmented = await buildSegmentedLog();
  try {
    const log = await DurableLog.open(segmented.directory, { segmentBytesMax: 4096 });
    const lastIndex = log.lastIndex();
    await log.persist({ entries: entries(lastIndex + 1, lastIndex + 2, 1, 10) });
    await log.close();
    const files = segmentFiles(segmented.directory);
    const last = files[files.length - 1]!;
    fs.truncateSync(last, fs.statSync(last).size - 1);
    const warnings = new CollectedWarnings();
    const reopened = await DurableLog.open(segmented.directory, { warnings });
    try {
      assert.equal(warnings.messages.length, 1);
      assert.equal(reopened.lastIndex(), lastIndex);
      assertEntries(reopened, entries(1, lastIndex, 1, 200));
    } finally {
      await reopened.close();
    }
  } finally {
    segmented.remove();
  }
});
