// Measures the checker on large generated histories; not part of the test run. After a build:
//   node dist/test/lib/linearizability-timing.js [operations] [keys] [clients]
// It prints one line per history: its shape, the share of lost responses, the verdict and the time taken.

import { performance } from 'node:perf_hooks';
import { checkLinearizability, keyValueModel } from './linearizability.js';
import { randomPlan } from './random-plan.js';
import { recordSequentialHistory } from './sequential-history.js';

const [operationCount = 10_000, keyCount = 5, clientCount = 10] = process.argv
  .slice(2)
  .map((argument) => Number(argument));
const SEEDS = [1, 2, 3];
const LOST_SHARES = [0, 0.01, 0.05, 0.1];

for (const lostShare of LOST_SHARES) {
  for (const seed of SEEDS) {
    const history = recordSequentialHistory(
      randomPlan({ seed, operationCount, keyCount, clientCount, lostShare }),
    );
    const started = performance.now();
    const verdict = checkLinearizability(keyValueModel, history);
    const elapsedMs = performance.now() - started;
    console.log(
      `${operationCount} operations, ${keyCount} keys, ${clientCount} clients, ` +
        `${(lostShare * 100).toFixed(0)}% lost responses, seed ${seed}: ${verdict.result} in ${elapsedMs.toFixed(0)} ms`,
    );
  }
}
