// MemoryStorage against the shared Storage conformance suite, plus what is specific to it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryStorage, RaftInvariantError, type ConfState } from '../../src/raft/index.js';
import { storageConformance, type StorageHarness } from './storage-conformance.js';

function memoryHarness(bootstrap: ConfState): StorageHarness {
  const storage = new MemoryStorage(bootstrap);
  return {
    storage,
    append: (entries) => storage.append(entries),
    setHardState: (hardState) => storage.setHardState(hardState),
    applySnapshot: (snapshot) => storage.applySnapshot(snapshot),
    createSnapshot: (index) => storage.createSnapshot(index),
    compact: (index) => storage.compact(index),
  };
}

storageConformance('MemoryStorage', memoryHarness);

describe('MemoryStorage', () => {
  it('refuses appends that would leave a gap', () => {
    const storage = new MemoryStorage({ voters: ['1'], learners: [] });
    assert.throws(
      () => storage.append([{ index: 2, term: 1, type: 'normal', data: new Uint8Array(0) }]),
      RaftInvariantError,
    );
  });

  it('refuses entries that are not contiguous', () => {
    const storage = new MemoryStorage({ voters: ['1'], learners: [] });
    const data = new Uint8Array(0);
    assert.throws(
      () =>
        storage.append([
          { index: 1, term: 1, type: 'normal', data },
          { index: 3, term: 1, type: 'normal', data },
        ]),
      RaftInvariantError,
    );
  });
});
