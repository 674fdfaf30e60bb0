import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { DurableLog } from '../../src/log/durable-log.js';
import {
  LogClosedError,
  LogCompactedError,
  LogConfigError,
  LogOverloadedError,
  LogUsageError,
} from '../../src/log/errors.js';
import type { LogEntry } from '../../src/log/types.js';
import {
  assertEntries,
  CollectedWarnings,
  entries,
  entry,
  segmentFiles,
  temporaryDirectory,
} from './helpers.js';

async function withLog(
  options: Parameters<typeof DurableLog.open>[1],
  body: (directory: string, reopen: () => Promise<DurableLog>) => Promise<void>,
): Promise<void> {
  const { directory, remove } = temporaryDirectory();
  const opened: DurableLog[] = [];
  try {
    await body(directory, async () => {
      const log = await DurableLog.open(directory, options);
      opened.push(log);
      return log;
    });
  } finally {
    for (const log of opened) await log.close();
    remove();
  }
}

void test('a new log is empty, with the initial hard state', async () => {
  await withLog({}, async (directory, open) => {
    const log = await open();
    assert.equal(log.firstIndex(), 1);
    assert.equal(log.lastIndex(), 0);
    assert.equal(log.term(0), 0);
    assert.equal(log.term(1), undefined);
    assert.deepEqual(log.hardState(), { term: 0, vote: '', commit: 0 });
    assert.deepEqual(log.entries(1, 1), []);
    assert.equal(segmentFiles(directory).length, 1);
  });
});

void test('appended entries and hard state read back before and after a restart', async () => {
  await withLog({}, async (_directory, open) => {
    const log = await open();
    const written = [...entries(1, 3, 1, 10), entry(4, 2, 0), entry(5, 2, 70_000)];
    await log.persist({ entries: written.slice(0, 3), hardState: { term: 1, vote: 'n1', commit: 0 } });
    await log.persist({ entries: written.slice(3), hardState: { term: 2, vote: 'n2', commit: 4 } });
    assert.equal(log.lastIndex(), 5);
    assertEntries(log, written);
    await log.close();

    const reopened = await open();
    assert.equal(reopened.firstIndex(), 1);
    assert.equal(reopened.lastIndex(), 5);
    assert.deepEqual(reopened.hardState(), { term: 2, vote: 'n2', commit: 4 });
    assertEntries(reopened, written);
    assert.equal(reopened.stats().cachedEntries, 0, 'after a restart entries come from disk');
  });
});

void test('a hard state alone survives a restart, and the latest one wins', async () => {
  await withLog({}, async (_directory, open) => {
    const log = await open();
    await log.persist({ hardState: { term: 3, vote: '', commit: 0 } });
    await log.persist({ hardState: { term: 3, vote: 'node-b', commit: 0 } });
    await log.persist({ hardState: { term: 5, vote: 'node-c', commit: 0 } });
    await log.close();
    const reopened = await open();
    assert.deepEqual(reopened.hardState(), { term: 5, vote: 'node-c', commit: 0 });
  });
});

void test('entries() honours maxBytes but always returns at least one entry', async () => {
  await withLog({ cacheBytesMax: 0 }, async (_directory, open) => {
    const log = await open();
    await log.persist({ entries: entries(1, 10, 1, 100) });
    assert.equal(log.entries(1, 11, 250).length, 2);
    assert.equal(log.entries(1, 11, 1).length, 1);
    assert.equal(log.entries(1, 11).length, 10);
    assert.equal(log.entries(4, 6).length, 2);
    assert.throws(() => log.entries(1, 12), LogUsageError);
    assert.throws(() => log.entries(5, 4), LogUsageError);
  });
});

void test('reads beyond the cache come from disk, one positioned read per run, with payloads intact', async () => {
  await withLog({ cacheBytesMax: 1000, segmentBytesMax: 8192 }, async (directory, open) => {
    const log = await open();
    const written: LogEntry[] = [];
    for (let index = 1; index <= 200; index++)
      written.push(entry(index, 1 + Math.floor(index / 50), index % 97));
    for (let i = 0; i < written.length; i += 7) await log.persist({ entries: written.slice(i, i + 7) });
    assert.ok(log.stats().cachedBytes <= 1000);
    assert.ok(segmentFiles(directory).length > 1, 'the entries span several segments');
    assertEntries(log, written);
  });
});

void test('suffix truncation across segment boundaries replaces entries and survives a restart', async () => {
  await withLog({ segmentBytesMax: 4096 }, async (directory, open) => {
    const log = await open();
    for (let i = 1; i <= 120; i += 10) await log.persist({ entries: entries(i, i + 9, 1, 150) });
    const before = segmentFiles(directory).length;
    assert.ok(before >= 4, `expected several segments, found ${before}`);
    // Entry 15 is in an early segment: everything from it on is replaced by shorter entries of term 2.
    const replacement = entries(15, 30, 2, 40, 1);
    await log.persist({ entries: replacement, hardState: { term: 2, vote: 'x', commit: 14 } });
    assert.equal(log.lastIndex(), 30);
    const expected = [...entries(1, 14, 1, 150), ...replacement];
    assertEntries(log, expected);
    await log.close();

    const reopened = await open();
    assert.equal(reopened.lastIndex(), 30);
    assertEntries(reopened, expected);
    // And again at an index that is only in memory in the reopened log's newest segment.
    await reopened.persist({ entries: entries(29, 31, 3, 10, 2) });
    await reopened.close();
    const third = await open();
    assertEntries(third, [...expected.slice(0, 28), ...entries(29, 31, 3, 10, 2)]);
  });
});

void test('compaction deletes whole segments, answers term() at its marker and survives a restart', async () => {
  await withLog({ segmentBytesMax: 4096 }, async (directory, open) => {
    const log = await open();
    for (let i = 1; i <= 200; i += 10)
      await log.persist({ entries: entries(i, i + 9, 1 + Math.floor(i / 100), 150) });
    await log.persist({ hardState: { term: 2, vote: '', commit: 150 } });
    const before = segmentFiles(directory).length;
    await log.compact(150, log.term(150)!);
    const after = segmentFiles(directory).length;
    assert.ok(after < before, `segments: ${before} before, ${after} after`);
    assert.ok(after >= 1);
    assert.equal(log.stats().segmentsDeleted, before - after);
    assert.equal(log.firstIndex(), 151);
    assert.equal(log.term(150), 2);
    assert.equal(log.term(149), undefined);
    assert.throws(() => log.entries(150, 152), LogCompactedError);
    assertEntries(log, entries(151, 200, 2, 150));
    await log.close();

    const reopened = await open();
    assert.equal(reopened.firstIndex(), 151);
    assert.equal(reopened.lastIndex(), 200);
    assert.equal(reopened.term(150), 2);
    assert.deepEqual(reopened.hardState(), { term: 2, vote: '', commit: 150 });
    assertEntries(reopened, entries(151, 200, 2, 150));
    // Appending and compacting further keep working after the restart.
    await reopened.persist({ entries: entries(201, 260, 2, 150) });
    await reopened.compact(255, 2);
    assert.equal(reopened.firstIndex(), 256);
    await reopened.close();
    const third = await open();
    assert.equal(third.firstIndex(), 256);
    assertEntries(third, entries(256, 260, 2, 150));
  });
});

void test('compacting beyond the last entry, or at a conflicting term, empties the log', async () => {
  await withLog({}, async (_directory, open) => {
    const log = await open();
    await log.persist({ entries: entries(1, 10, 1) });
    await log.compact(20, 3);
    assert.equal(log.firstIndex(), 21);
    assert.equal(log.lastIndex(), 20);
    assert.equal(log.term(20), 3);
    await log.persist({ entries: entries(21, 25, 3) });
    await log.compact(23, 4); // entry 23 has term 3: the snapshot disagrees, so the suffix goes too
    assert.equal(log.lastIndex(), 23);
    assert.equal(log.term(23), 4);
    await log.persist({ entries: entries(24, 24, 4) });
    await log.close();
    const reopened = await open();
    assert.equal(reopened.firstIndex(), 24);
    assert.equal(reopened.lastIndex(), 24);
    assert.equal(reopened.term(23), 4);
    assertEntries(reopened, entries(24, 24, 4));
  });
});

void test('a snapshot, the entries after it and the hard state that commits it persist in one write', async () => {
  await withLog({}, async (_directory, open) => {
    const log = await open();
    await log.persist({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 'a', commit: 2 } });
    const writesBefore = log.stats().writes;
    await log.persist({
      snapshot: { index: 40, term: 3 },
      entries: entries(41, 43, 3),
      hardState: { term: 3, vote: 'b', commit: 40 },
    });
    assert.equal(log.stats().writes, writesBefore + 1);
    assert.equal(log.firstIndex(), 41);
    assert.equal(log.term(40), 3);
    await log.close();
    const reopened = await open();
    assert.equal(reopened.firstIndex(), 41);
    assert.equal(reopened.lastIndex(), 43);
    assert.deepEqual(reopened.hardState(), { term: 3, vote: 'b', commit: 40 });
    assertEntries(reopened, entries(41, 43, 3));
    // Without the snapshot first, that hard state would be refused: its commit lies beyond the log.
    await assert.rejects(
      () => reopened.persist({ hardState: { term: 3, vote: 'b', commit: 50 } }),
      LogUsageError,
    );
  });
});

void test('calls that break the log rules are refused and change nothing', async () => {
  await withLog({ entryBytesMax: 1000, pendingBytesMax: 64 * 1024 }, async (_directory, open) => {
    const log = await open();
    await log.persist({ entries: entries(1, 5, 2), hardState: { term: 2, vote: 'a', commit: 3 } });
    const refused: [string, () => Promise<void>][] = [
      ['gap', () => log.persist({ entries: [entry(7, 2)] })],
      ['not contiguous', () => log.persist({ entries: [entry(6, 2), entry(8, 2)] })],
      ['term decreases', () => log.persist({ entries: [entry(6, 1)] })],
      ['term zero', () => log.persist({ entries: [{ ...entry(6, 2), term: 0 }] })],
      ['kind too large', () => log.persist({ entries: [{ ...entry(6, 2), kind: 256 }] })],
      ['payload too large', () => log.persist({ entries: [entry(6, 2, 1001)] })],
      ['overwrites a committed entry', () => log.persist({ entries: [entry(3, 3)] })],
      ['term goes back', () => log.persist({ hardState: { term: 1, vote: '', commit: 3 } })],
      ['second vote in a term', () => log.persist({ hardState: { term: 2, vote: 'b', commit: 3 } })],
      ['commit goes back', () => log.persist({ hardState: { term: 2, vote: 'a', commit: 2 } })],
      ['commit beyond the log', () => log.persist({ hardState: { term: 2, vote: 'a', commit: 6 } })],
      [
        'compaction goes back',
        async () => {
          await log.compact(1, 2);
          await log.compact(0, 0);
        },
      ],
    ];
    for (const [name, call] of refused) await assert.rejects(call, LogUsageError, name);
    await log.compact(1, 2);
    await assert.rejects(
      () => log.compact(2, 9),
      LogUsageError,
      'a snapshot contradicting a committed entry',
    );
    await assert.rejects(() => log.persist({ entries: [entry(1, 3)] }), LogUsageError, 'rewrite compacted');
    assert.equal(log.lastIndex(), 5);
    assert.deepEqual(log.hardState(), { term: 2, vote: 'a', commit: 3 });
    // A new term frees the vote; commit may equal the last index.
    await log.persist({ entries: [entry(6, 3)], hardState: { term: 3, vote: 'b', commit: 6 } });
  });
});

void test('too many bytes waiting to be written are refused with LogOverloadedError', async () => {
  await withLog({ entryBytesMax: 30_000, pendingBytesMax: 64 * 1024 }, async (_directory, open) => {
    const log = await open();
    const first = log.persist({ entries: [entry(1, 1, 30_000)] });
    const second = log.persist({ entries: [entry(2, 1, 30_000)] });
    await assert.rejects(() => log.persist({ entries: [entry(3, 1, 30_000)] }), LogOverloadedError);
    await Promise.all([first, second]);
    await log.persist({ entries: [entry(3, 1, 30_000)] });
    assert.equal(log.lastIndex(), 3);
  });
});

void test('options out of range fail at open with the option named', async () => {
  const { directory, remove } = temporaryDirectory();
  try {
    await assert.rejects(
      () => DurableLog.open(directory, { segmentBytesMax: 10 }),
      (error: unknown) => {
        assert.ok(error instanceof LogConfigError);
        assert.match(error.message, /segmentBytesMax/);
        return true;
      },
    );
    await assert.rejects(
      () => DurableLog.open(directory, { entryBytesMax: 1e6, pendingBytesMax: 65536 }),
      LogConfigError,
    );
  } finally {
    remove();
  }
});

void test('a closed log refuses reads and writes; close waits for accepted writes', async () => {
  await withLog({}, async (_directory, open) => {
    const log = await open();
    const pending = log.persist({ entries: entries(1, 50, 1) });
    await log.close();
    await pending;
    assert.throws(() => log.lastIndex(), LogClosedError);
    await assert.rejects(() => log.persist({ entries: [entry(51, 1)] }), LogClosedError);
    const reopened = await open();
    assert.equal(reopened.lastIndex(), 50);
  });
});

void test('unknown files in the log directory are left alone and a leftover temporary segment is removed', async () => {
  await withLog({}, async (directory, open) => {
    const log = await open();
    await log.persist({ entries: entries(1, 3, 1) });
    await log.close();
    fs.writeFileSync(`${directory}/0000000002.seg.tmp`, 'half-made segment');
    fs.writeFileSync(`${directory}/notes.txt`, 'keep me');
    const warnings = new CollectedWarnings();
    const reopened = await DurableLog.open(directory, { warnings });
    try {
      assert.equal(reopened.lastIndex(), 3);
      assert.ok(!fs.existsSync(`${directory}/0000000002.seg.tmp`));
      assert.ok(fs.existsSync(`${directory}/notes.txt`));
    } finally {
      await reopened.close();
    }
  });
});
