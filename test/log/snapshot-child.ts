// The saving side of the snapshot crash test, run as its own process: it starts a large streamed save and keeps
// it going slowly, printing "saving" once data is flowing. The test kills it with SIGKILL in the middle.
//
//   node snapshot-child.js DIRECTORY INDEX
import { SnapshotStore } from '../../src/log/snapshot-store.js';

// Enough chunks, slowly enough, that the save is still running when the test kills the process; the bound keeps
// a forgotten child from running forever.
const chunksMax = 10_000;
const chunkBytes = 64 * 1024;

async function* slowData(): AsyncIterable<Uint8Array> {
  for (let i = 0; i < chunksMax; i++) {
    yield new Uint8Array(chunkBytes).fill(i % 251);
    if (i === 8) process.stdout.write('saving\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function main(): Promise<void> {
  const [directory, indexText] = process.argv.slice(2);
  if (directory === undefined || indexText === undefined)
    throw new Error('usage: snapshot-child DIRECTORY INDEX');
  const store = await SnapshotStore.open(directory);
  await store.save({ index: Number(indexText), term: 1, metadata: new Uint8Array([1, 2, 3]) }, slowData());
}

main().catch((error: unknown) => {
  process.stderr.write(`snapshot-child: ${String(error)}\n`);
  process.exit(1);
});
