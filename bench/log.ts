// Durable log throughput: appends per second with 1 and with 64 concurrent writers (each waiting for its own
// write to be durable before the next), beside the raw fsyncs per second of the same disk measured in the same
// run. With one writer the log can do at most one append per fsync; group commit is what lets 64 writers go
// faster than that. Disk speed drifts a lot on shared machines, so the three measurements take turns in short
// rounds and each sums its rounds.
//
//   node dist/bench/log.js            (after npm run build)
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { DurableLog } from '../src/log/durable-log.js';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

const rounds = 4;
const roundMs = 600;
const payloadBytes = 100;

interface Tally {
  count: number;
  seconds: number;
}

async function measureRawFsyncs(
  handle: fsp.FileHandle,
  position: { next: number },
  tally: Tally,
): Promise<void> {
  const bytes = new Uint8Array(payloadBytes);
  const started = performance.now();
  while (performance.now() - started < roundMs) {
    await handle.write(bytes, 0, bytes.byteLength, position.next);
    await handle.datasync();
    position.next += bytes.byteLength;
    tally.count++;
  }
  tally.seconds += (performance.now() - started) / 1000;
}

async function measureAppends(log: DurableLog, writers: number, tally: Tally): Promise<void> {
  const data = new Uint8Array(payloadBytes).fill(7);
  let next = log.lastIndex() + 1;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() - started < roundMs) {
        const index = next++;
        await log.persist({ entries: [{ index, term: 1, kind: 0, data }] });
        tally.count++;
      }
    }),
  );
  tally.seconds += (performance.now() - started) / 1000;
}

export async function benchLog(): Promise<BenchResult[]> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-bench-log-'));
  const raw = await fsp.open(path.join(directory, 'fsync-baseline'), 'w');
  const oneWriterLog = await DurableLog.open(path.join(directory, 'one-writer'));
  const manyWritersLog = await DurableLog.open(path.join(directory, 'many-writers'));
  try {
    const fsyncs: Tally = { count: 0, seconds: 0 };
    const single: Tally = { count: 0, seconds: 0 };
    const many: Tally = { count: 0, seconds: 0 };
    const position = { next: 0 };
    const manySyncsBefore = manyWritersLog.stats().fileSyncs;
    for (let round = 0; round < rounds; round++) {
      await measureRawFsyncs(raw, position, fsyncs);
      await measureAppends(oneWriterLog, 1, single);
      await measureAppends(manyWritersLog, 64, many);
    }
    const manySyncs = manyWritersLog.stats().fileSyncs - manySyncsBefore;
    return [
      {
        name: 'log: raw write+fsync of 100 bytes (baseline)',
        value: Math.round(fsyncs.count / fsyncs.seconds),
        unit: 'fsyncs/s',
      },
      {
        name: 'log: durable appends, 1 writer',
        value: Math.round(single.count / single.seconds),
        unit: 'appends/s',
      },
      {
        name: 'log: durable appends, 64 writers',
        value: Math.round(many.count / many.seconds),
        unit: 'appends/s',
      },
      {
        name: 'log: appends per fsync, 64 writers',
        value: Math.round((many.count / Math.max(1, manySyncs)) * 10) / 10,
        unit: 'appends',
      },
    ];
  } finally {
    await raw.close();
    await oneWriterLog.close();
    await manyWritersLog.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const result of await benchLog()) console.log(`${result.name}: ${result.value} ${result.unit}`);
}
