// The durable log, through its Raft storage adapter, against the same conformance suite as MemoryStorage.
// Every write is made durable before the harness returns, and `reopen` reads the files back.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DurableLog } from '../../src/log/index.js';
import { DiskRaftStorage, fromLogEntry } from '../../src/log/raft-storage.js';
import { decodeConfChangeEntry, type ConfState, type SnapshotMetadata } from '../../src/raft/index.js';
import { storageConformance, type StorageHarness } from '../raft/storage-conformance.js';

async function diskHarness(
  directory: string,
  log: DurableLog,
  snapshot: SnapshotMetadata,
): Promise<StorageHarness> {
  const storage = new DiskRaftStorage(log, snapshot);
  let latest = snapshot;
  const harness: StorageHarness = {
    storage,
    append: async (entries) => {
      const appendable = storage.appendable(entries);
      if (appendable.length > 0) await log.persist({ entries: appendable });
    },
    setHardState: async (hardState) => {
      await log.persist({ hardState });
      storage.acceptHardState(hardState);
    },
    applySnapshot: async (received) => {
      await log.persist({ snapshot: { index: received.index, term: received.term } });
      storage.setSnapshot(received);
      latest = received;
    },
    createSnapshot: (index) => {
      // The configuration at `index` is the newest configuration entry at or before it, else the
      // snapshot's, as the node computes it.
      let confState: ConfState = latest.confState;
      for (let i = Math.max(log.firstIndex(), latest.index + 1); i <= index; i++) {
        const [entry] = log.entries(i, i + 1);
        if (entry !== undefined && fromLogEntry(entry).type === 'confChange') {
          confState = decodeConfChangeEntry(entry.data).confState;
        }
      }
      const term = log.term(index);
      if (term === undefined) throw new Error(`no term at ${index}`);
      latest = { index, term, confState };
      storage.setSnapshot(latest);
      return latest;
    },
    compact: (index) => storage.compact(index),
    reopen: async () => {
      await log.close();
      return diskHarness(directory, await DurableLog.open(directory), latest);
    },
    close: async () => {
      await log.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
  return harness;
}

storageConformance('DiskRaftStorage over the durable log', async (bootstrap) => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-raft-storage-'));
  const log = await DurableLog.open(directory);
  return diskHarness(directory, log, { index: 0, term: 0, confState: bootstrap });
});
