import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SnapshotCorruptError, SnapshotUsageError } from '../../src/log/errors.js';
import { SnapshotStore, type StoredSnapshot } from '../../src/log/snapshot-store.js';
import { CollectedWarnings, payload, temporaryDirectory } from './helpers.js';

async function withStore(body: (directory: string) => Promise<void>): Promise<void> {
  const { directory, remove } = temporaryDirectory();
  try {
    await body(directory);
  } finally {
    remove();
  }
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* chunked(data: Uint8Array, chunkBytes: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += chunkBytes) {
    yield data.subarray(i, i + chunkBytes);
    await Promise.resolve();
  }
}

function snapshotFiles(directory: string): string[] {
  return fs.readdirSync(directory).sort();
}

async function assertSnapshot(
  stored: StoredSnapshot | undefined,
  index: number,
  data: Uint8Array,
): Promise<void> {
  assert.ok(stored !== undefined, 'a snapshot is there');
  assert.equal(stored.meta.index, index);
  assert.equal(stored.dataBytes, data.byteLength);
  assert.ok(Buffer.from(await stored.readAll()).equals(Buffer.from(data)), 'readAll() returns the data');
  assert.ok((await collect(stored.stream())).equals(Buffer.from(data)), 'stream() returns the data');
  // The path and offset locate the data inside the file.
  const file = fs.readFileSync(stored.path);
  assert.ok(file.subarray(stored.dataOffset, stored.dataOffset + stored.dataBytes).equals(Buffer.from(data)));
}

void test('a saved snapshot reads back, with its metadata, before and after reopening', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory);
    assert.equal(store.latest(), undefined);
    const data = payload(1, 1, 100_000);
    const metadata = new TextEncoder().encode('{"voters":["a","b","c"]}');
    const saved = await store.save({ index: 120, term: 4, metadata }, data);
    assert.deepEqual(saved.meta, { index: 120, term: 4, metadata });
    await assertSnapshot(store.latest(), 120, data);
    const reopened = await SnapshotStore.open(directory);
    await assertSnapshot(reopened.latest(), 120, data);
    assert.deepEqual(reopened.latest()!.meta.metadata, metadata);
    assert.equal(reopened.latest()!.meta.term, 4);
  });
});

void test('data streamed in many small chunks is saved and verifies', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory, { chunkBytes: 64 * 1024 });
    const data = payload(2, 2, 3 * 1024 * 1024 + 17);
    await store.save({ index: 5, term: 1, metadata: new Uint8Array(0) }, chunked(data, 4096));
    await assertSnapshot(store.latest(), 5, data);
    await store.latest()!.verify();
    const empty = await store.save({ index: 6, term: 1, metadata: new Uint8Array(0) }, new Uint8Array(0));
    assert.equal((await empty.readAll()).byteLength, 0);
  });
});

void test('data larger than the sync step (synced in steps as it is written) is saved and verifies', async () => {
  await withStore(async (directory) => {
    // Chunks of odd sizes, so that the steps fall inside the writer's buffer as well as between chunks.
    for (const [chunkBytes, pieceBytes] of [
      [64 * 1024, 1024 * 1024 + 3],
      [1024 * 1024, 4099],
    ] as const) {
      const store = await SnapshotStore.open(directory, { chunkBytes });
      const data = payload(3, chunkBytes, 20 * 1024 * 1024 + 17);
      await store.save(
        { index: chunkBytes, term: 2, metadata: new Uint8Array(0) },
        chunked(data, pieceBytes),
      );
      await assertSnapshot(store.latest(), chunkBytes, data);
      await store.latest()!.verify();
      await assertSnapshot((await SnapshotStore.open(directory)).latest(), chunkBytes, data);
    }
  });
});

void test('only the newest snapshots are kept', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory, { keep: 2 });
    for (const index of [10, 30, 20, 40]) {
      await store.save({ index, term: 1, metadata: new Uint8Array(0) }, payload(index, 1, 100));
    }
    assert.deepEqual(
      store.list().map((snapshot) => snapshot.meta.index),
      [40, 30],
    );
    assert.equal(snapshotFiles(directory).length, 2);
    const reopened = await SnapshotStore.open(directory, { keep: 1 });
    assert.deepEqual(
      reopened.list().map((snapshot) => snapshot.meta.index),
      [40],
    );
    assert.equal(snapshotFiles(directory).length, 1);
  });
});

void test('a save that fails midway leaves the previous snapshot as the latest and no temporary file', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory);
    const previous = payload(7, 1, 5000);
    await store.save({ index: 7, term: 1, metadata: new Uint8Array(0) }, previous);
    async function* failing(): AsyncIterable<Uint8Array> {
      yield new Uint8Array(2 * 1024 * 1024);
      await Promise.resolve();
      throw new Error('the database went away');
    }
    await assert.rejects(
      () => store.save({ index: 9, term: 1, metadata: new Uint8Array(0) }, failing()),
      /went away/,
    );
    await assertSnapshot(store.latest(), 7, previous);
    assert.equal(snapshotFiles(directory).length, 1);
    const limited = await SnapshotStore.open(directory, { dataBytesMax: 1000 });
    await assert.rejects(
      () => limited.save({ index: 10, term: 1, metadata: new Uint8Array(0) }, new Uint8Array(1001)),
      SnapshotUsageError,
    );
    await assertSnapshot(limited.latest(), 7, previous);
  });
});

void test('leftovers of an interrupted save and damaged snapshot files are removed at open, with warnings', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory);
    const previous = payload(3, 1, 10_000);
    await store.save({ index: 3, term: 1, metadata: new Uint8Array(0) }, previous);
    const newest = await store.save(
      { index: 4, term: 1, metadata: new Uint8Array(0) },
      payload(4, 1, 10_000),
    );
    // A save interrupted before its rename leaves a temporary file; a damaged newest snapshot lost its end.
    const half = fs.readFileSync(newest.path).subarray(0, 6000);
    fs.writeFileSync(path.join(directory, '00000000000000000005-00000000000000000001.snap.tmp'), half);
    fs.truncateSync(newest.path, fs.statSync(newest.path).size - 1);
    fs.writeFileSync(path.join(directory, 'unrelated.txt'), 'left alone');
    const warnings = new CollectedWarnings();
    const reopened = await SnapshotStore.open(directory, { warnings });
    assert.equal(warnings.messages.length, 2, warnings.messages.join('\n'));
    await assertSnapshot(reopened.latest(), 3, previous);
    assert.deepEqual(snapshotFiles(directory), [
      '00000000000000000003-00000000000000000001.snap',
      'unrelated.txt',
    ]);
  });
});

void test('damaged data is reported when read, never returned as complete', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory, { chunkBytes: 4096 });
    const saved = await store.save({ index: 1, term: 1, metadata: new Uint8Array(0) }, payload(1, 1, 50_000));
    const fd = fs.openSync(saved.path, 'r+');
    fs.writeSync(
      fd,
      new Uint8Array([0xff ^ fs.readFileSync(saved.path)[saved.dataOffset + 25_000]!]),
      0,
      1,
      saved.dataOffset + 25_000,
    );
    fs.closeSync(fd);
    await assert.rejects(() => saved.readAll(), SnapshotCorruptError);
    await assert.rejects(() => saved.verify(), SnapshotCorruptError);
    await assert.rejects(() => collect(saved.stream()), SnapshotCorruptError);
    const limited = await SnapshotStore.open(directory, { readAllBytesMax: 1000 });
    await assert.rejects(() => limited.latest()!.readAll(), SnapshotUsageError);
  });
});

void test('a snapshot is saved from a file and its data copied out to a file, in chunks', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(path.join(directory, 'snapshots'), { chunkBytes: 4096 });
    // Not a whole number of chunks, so that the last one is short.
    for (const bytes of [0, 4096, 3 * 4096 + 123]) {
      const data = payload(bytes + 1, 2, bytes);
      const source = path.join(directory, `source-${bytes}`);
      fs.writeFileSync(source, data);
      const saved = await store.saveFile(
        { index: bytes + 1, term: 2, metadata: new Uint8Array([7]) },
        source,
      );
      assert.ok(fs.existsSync(source), 'the source file is left to the caller');
      await assertSnapshot(saved, bytes + 1, data);
      const copy = path.join(directory, `copy-${bytes}`);
      await saved.copyDataTo(copy);
      assert.ok(fs.readFileSync(copy).equals(Buffer.from(data)));
      // The copy never overwrites a file that is there.
      await assert.rejects(() => saved.copyDataTo(copy), /EEXIST/u);
    }
    await assert.rejects(
      () =>
        store.saveFile({ index: 99, term: 2, metadata: new Uint8Array(0) }, path.join(directory, 'missing')),
      /ENOENT/u,
    );
  });
});

void test('copying out damaged data fails and leaves no file behind', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(path.join(directory, 'snapshots'), { chunkBytes: 4096 });
    const saved = await store.save({ index: 1, term: 1, metadata: new Uint8Array(0) }, payload(1, 1, 50_000));
    const file = fs.readFileSync(saved.path);
    const at = saved.dataOffset + 45_000;
    file[at] = file[at]! ^ 0xff;
    fs.writeFileSync(saved.path, file);
    const copy = path.join(directory, 'copy');
    await assert.rejects(() => saved.copyDataTo(copy), SnapshotCorruptError);
    assert.equal(fs.existsSync(copy), false);
  });
});

void test('a process killed in the middle of a save leaves the previous snapshot usable', async () => {
  await withStore(async (directory) => {
    const store = await SnapshotStore.open(directory);
    const previous = payload(11, 2, 20_000);
    await store.save({ index: 11, term: 2, metadata: new Uint8Array([9]) }, previous);

    const child = spawn(
      process.execPath,
      [path.join(path.dirname(fileURLToPath(import.meta.url)), 'snapshot-child.js'), directory, '12'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('saving')) resolve();
      });
      void exited.then(() => resolve());
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the child ended by itself: ${stderr}`);
    clearTimeout(killTimer);
    assert.ok(
      snapshotFiles(directory).some((name) => name.endsWith('.tmp')),
      'the killed save left its temporary file behind',
    );

    const warnings = new CollectedWarnings();
    const reopened = await SnapshotStore.open(directory, { warnings });
    await assertSnapshot(reopened.latest(), 11, previous);
    assert.equal(reopened.list().length, 1);
    assert.ok(!snapshotFiles(directory).some((name) => name.endsWith('.tmp')));
    assert.equal(warnings.messages.length, 1);
  });
});
