// The log checked against a plain in-memory model: random workloads of appends, rewrites, hard state changes and
// compactions, with restarts in between, over small segments and a small cache so that rolling, segment deletion
// and reads from disk all happen.
//
// DUST_LOG_MODEL_RUNS (default 25) and DUST_LOG_MODEL_SEED (default 424242) run more or other workloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { DurableLog } from '../../src/log/durable-log.js';
import { ModelLog, runOperation, seededRandom, workload } from './crash-workload.js';
import { temporaryDirectory } from './helpers.js';

void test('the log matches a simple model through random operations and restarts', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 4 }),
      async (seed, operationCount, batchSize) => {
        const { directory, remove } = temporaryDirectory();
        const options = { segmentBytesMax: 8192, cacheBytesMax: 2048 };
        let log = await DurableLog.open(directory, options);
        try {
          const model = new ModelLog();
          const operations = workload(seed, model);
          const restarts = seededRandom(seed ^ 0x5bd1e995);
          for (let done = 0; done < operationCount;) {
            // A few calls at once, as Raft's Ready loop and concurrent clients make them.
            const batch = [];
            for (let i = 0; i < batchSize && done < operationCount; i++, done++) {
              const operation = operations.next().value;
              model.apply(operation);
              batch.push(runOperation(log, operation));
            }
            assert.equal(model.differenceFrom(log), undefined, 'reads see accepted calls at once');
            await Promise.all(batch);
            if (restarts() < 0.2) {
              await log.close();
              log = await DurableLog.open(directory, options);
              assert.equal(model.differenceFrom(log), undefined, 'after a restart');
            }
          }
          await log.close();
          log = await DurableLog.open(directory, options);
          assert.equal(model.differenceFrom(log), undefined, 'after the final restart');
        } finally {
          await log.close();
          remove();
        }
      },
    ),
    {
      numRuns: Number(process.env.DUST_LOG_MODEL_RUNS ?? 25),
      seed: Number(process.env.DUST_LOG_MODEL_SEED ?? 424242),
    },
  );
});
