// The behaviour every Storage implementation must have, as one suite that any test file can run
// against its implementation: MemoryStorage here, the durable log through its adapter elsewhere.
//
//   storageConformance('MemoryStorage', (bootstrap) => memoryHarness(bootstrap));
//
// Writes go through a harness, whose methods may be asynchronous (a disk log makes them durable before
// resolving); reads go through the Storage interface, synchronously, as the core performs them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CompactedError,
  encodeConfChangeEntry,
  UnavailableError,
  type ConfState,
  type Entry,
  type HardState,
  type SnapshotMetadata,
  type Storage,
} from '../../src/raft/index.js';

export interface StorageHarness {
  readonly storage: Storage;
  append(entries: readonly Entry[]): void | Promise<void>;
  setHardState(hardState: HardState): void | Promise<void>;
  /** Replaces the log with a snapshot received from a leader. */
  applySnapshot(snapshot: SnapshotMetadata): void | Promise<void>;
  /** Records a local snapshot at `index` (configuration computed from the log) and returns its metadata. */
  createSnapshot(index: number): SnapshotMetadata | Promise<SnapshotMetadata>;
  /** Discards entries up to `index`, which a snapshot covers. */
  compact(index: number): void | Promise<void>;
  /** Durable implementations: closes and opens the same storage again. */
  reopen?(): Promise<StorageHarness>;
  close?(): void | Promise<void>;
}

export type StorageHarnessFactory = (bootstrap: ConfState) => StorageHarness | Promise<StorageHarness>;

const bootstrap: ConfState = { voters: ['1', '2', '3'], learners: [] };
const encoder = new TextEncoder();

function entry(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: 'normal', data: encoder.encode(text) };
}

/** Entries lo..hi (inclusive), all of `term`. */
function run(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let index = lo; index <= hi; index++) out.push(entry(index, term));
  return out;
}

function describeEntries(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}/${e.term}/${new TextDecoder().decode(e.data)}`);
}

export function storageConformance(name: string, makeHarness: StorageHarnessFactory): void {
  describe(`Storage conformance: ${name}`, () => {
    async function withHarness(body: (harness: StorageHarness) => void | Promise<void>): Promise<void> {
      const harness = await makeHarness(bootstrap);
      try {
        await body(harness);
      } finally {
        await harness.close?.();
      }
    }

    it('starts empty, with the bootstrap configuration and a zero hard state', async () => {
      await withHarness(({ storage }) => {
        assert.equal(storage.firstIndex(), 1);
        assert.equal(storage.lastIndex(), 0);
        assert.equal(storage.term(0), 0);
        assert.deepEqual(storage.initialState(), {
          hardState: { term: 0, vote: '', commit: 0 },
          confState: bootstrap,
        });
        assert.deepEqual(storage.snapshot(), { index: 0, term: 0, confState: bootstrap });
        assert.deepEqual(storage.entries(1, 1, 100), []);
      });
    });

    it('returns appended entries and their terms', async () => {
      await withHarness(async (harness) => {
        await harness.append([...run(1, 3, 1), ...run(4, 5, 2)]);
        const { storage } = harness;
        assert.equal(storage.lastIndex(), 5);
        assert.deepEqual(
          [1, 2, 3, 4, 5].map((i) => storage.term(i)),
          [1, 1, 1, 2, 2],
        );
        assert.deepEqual(describeEntries(storage.entries(2, 5, Number.POSITIVE_INFINITY)), [
          '2/1/e2',
          '3/1/e3',
          '4/2/e4',
        ]);
      });
    });

    it('replaces a conflicting suffix when entries are appended at or before the last index', async () => {
      await withHarness(async (harness) => {
        await harness.append(run(1, 5, 1));
        await harness.append([entry(3, 2, 'x3'), entry(4, 2, 'x4')]);
        const { storage } = harness;
        assert.equal(storage.lastIndex(), 4, 'entry 5 of the old suffix must be gone');
        assert.deepEqual(describeEntries(storage.entries(1, 5, Number.POSITIVE_INFINITY)), [
          '1/1/e1',
          '2/1/e2',
          '3/2/x3',
          '4/2/x4',
        ]);
      });
    });

    it('limits entries by payload bytes but always returns at least one', async () => {
      await withHarness(async (harness) => {
        await harness.append(run(1, 5, 1)); // two payload bytes each
        const { storage } = harness;
        assert.equal(storage.entries(1, 6, 0).length, 1);
        assert.equal(storage.entries(1, 6, 2).length, 1);
        assert.equal(storage.entries(1, 6, 5).length, 2);
        assert.equal(storage.entries(1, 6, 6).length, 3);
        assert.equal(storage.entries(1, 6, 1000).length, 5);
      });
    });

    it('throws typed errors outside the held range', async () => {
      await withHarness(async (harness) => {
        await harness.append(run(1, 3, 1));
        const { storage } = harness;
        assert.throws(() => storage.term(4), UnavailableError);
        assert.throws(() => storage.entries(2, 5, 100), UnavailableError);
        await harness.createSnapshot(2);
        await harness.compact(2);
        assert.throws(() => storage.term(1), CompactedError);
        assert.throws(() => storage.entries(1, 3, 100), CompactedError);
      });
    });

    it('keeps the hard state', async () => {
      await withHarness(async (harness) => {
        await harness.setHardState({ term: 7, vote: '2', commit: 0 });
        assert.deepEqual(harness.storage.initialState().hardState, { term: 7, vote: '2', commit: 0 });
      });
    });

    it('creates a snapshot carrying the configuration in force at its index', async () => {
      await withHarness(async (harness) => {
        const grown: ConfState = { voters: ['1', '2', '3'], learners: ['4'] };
        const change = encodeConfChangeEntry({ change: { kind: 'addLearner', node: '4' }, confState: grown });
        await harness.append([
          entry(1, 1),
          { index: 2, term: 1, type: 'confChange', data: change },
          entry(3, 1),
        ]);
        const atOne = await harness.createSnapshot(1);
        assert.deepEqual(atOne, { index: 1, term: 1, confState: bootstrap });
        const atThree = await harness.createSnapshot(3);
        assert.deepEqual(atThree, { index: 3, term: 1, confState: grown });
        assert.deepEqual(harness.storage.snapshot(), atThree);
        assert.deepEqual(harness.storage.initialState().confState, grown);
      });
    });

    it('compacts up to a snapshot, keeping the term of the last compacted entry', async () => {
      await withHarness(async (harness) => {
        await harness.append([...run(1, 4, 1), ...run(5, 6, 2)]);
        await harness.createSnapshot(5);
        await harness.compact(4);
        const { storage } = harness;
        assert.equal(storage.firstIndex(), 5);
        assert.equal(storage.lastIndex(), 6);
        assert.equal(storage.term(4), 1);
        assert.deepEqual(describeEntries(storage.entries(5, 7, 100)), ['5/2/e5', '6/2/e6']);
        await harness.compact(5);
        assert.equal(storage.firstIndex(), 6);
        assert.equal(storage.term(5), 2);
        await harness.append([entry(7, 3)]);
        assert.equal(storage.lastIndex(), 7);
      });
    });

    it('refuses to compact beyond the latest snapshot', async () => {
      await withHarness(async (harness) => {
        await harness.append(run(1, 4, 1));
        await harness.createSnapshot(2);
        await assert.rejects(async () => harness.compact(3));
        assert.equal(harness.storage.firstIndex(), 1);
      });
    });

    it('ignores appended entries that are already compacted', async () => {
      await withHarness(async (harness) => {
        await harness.append(run(1, 4, 1));
        await harness.createSnapshot(3);
        await harness.compact(3);
        await harness.append(run(2, 5, 1));
        const { storage } = harness;
        assert.equal(storage.firstIndex(), 4);
        assert.equal(storage.lastIndex(), 5);
      });
    });

    it('replaces everything with a snapshot from the leader', async () => {
      await withHarness(async (harness) => {
        await harness.append(run(1, 4, 1));
        const snapshot: SnapshotMetadata = {
          index: 10,
          term: 3,
          confState: { voters: ['1', '2'], learners: ['3'] },
        };
        await harness.applySnapshot(snapshot);
        const { storage } = harness;
        assert.equal(storage.firstIndex(), 11);
        assert.equal(storage.lastIndex(), 10);
        assert.equal(storage.term(10), 3);
        assert.deepEqual(storage.snapshot(), snapshot);
        assert.deepEqual(storage.initialState().confState, snapshot.confState);
        await harness.append([entry(11, 3)]);
        assert.equal(storage.lastIndex(), 11);
      });
    });

    it('refuses a snapshot older than the one it holds', async () => {
      await withHarness(async (harness) => {
        await harness.applySnapshot({ index: 10, term: 3, confState: bootstrap });
        await assert.rejects(async () => harness.applySnapshot({ index: 9, term: 3, confState: bootstrap }));
      });
    });

    it('survives a reopen with everything written (durable implementations)', async (t) => {
      const harness = await makeHarness(bootstrap);
      if (harness.reopen === undefined) {
        await harness.close?.();
        t.skip('not a durable implementation');
        return;
      }
      await harness.append(run(1, 6, 1));
      await harness.setHardState({ term: 1, vote: '1', commit: 4 });
      await harness.createSnapshot(3);
      await harness.compact(2);
      const reopened = await harness.reopen();
      try {
        const { storage } = reopened;
        assert.equal(storage.firstIndex(), 3);
        assert.equal(storage.lastIndex(), 6);
        assert.equal(storage.term(2), 1);
        assert.deepEqual(storage.initialState().hardState, { term: 1, vote: '1', commit: 4 });
        assert.equal(storage.snapshot().index, 3);
        assert.deepEqual(describeEntries(storage.entries(3, 7, 100)), [
          '3/1/e3',
          '4/1/e4',
          '5/1/e5',
          '6/1/e6',
        ]);
      } finally {
        await reopened.close?.();
      }
    });
  });
}
