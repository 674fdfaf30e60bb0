// A Jepsen-style register test: clients write unique values to three registers and read them back with
// linearizable consistency levels, through any node, while a nemesis kills, pauses and (where the server
// allows) isolates nodes. The recorded history, with unknown outcomes for timeouts, must be linearizable.
// Alongside, level=none reads on followers measure how stale a local read can be; those are allowed to be
// stale and are not part of the history.
//
// The seed is printed first; DUST_E2E_SEED=<n> repeats a run's choices (the timing of a real cluster
// still varies). DUST_E2E_NEMESIS_MS sets how long faults are injected (default 25000) for longer soaks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { seededRandom } from '../faults/loopback-peers.js';
import { checkLinearizability, keyValueModel } from '../../lib/linearizability.js';
import { judgeQuery, judgeWrite } from './api-results.js';
import { withCluster } from './cluster-harness.js';
import { ClusterConfigError } from './errors.js';
import { withoutUnobservedUnknownWrites } from './history-pruning.js';
import { type FaultKind, describeFaults, networkFaults, processFaults, runNemesis } from './nemesis.js';
import { describeOutcome } from './node-http.js';
import { nowMs, pollUntil, sleep } from './polling.js';
import { ReplicationLagSampler } from './replication-lag.js';
import {
  type LinearizableLevel,
  RegisterWorkload,
  createRegisterTable,
  registerTable,
} from './register-workload.js';
import { clusterSkipReason, serverFromEnvironment, serverTraits } from './server-binary.js';
import { measureStaleness } from './staleness.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const traits = serverTraits[server];
const keys = [1, 2, 3];
const seed = seedFromEnvironment();
const nemesisMs = integerFromEnvironment('DUST_E2E_NEMESIS_MS', 25_000, 1_000, 3_600_000);

describe(
  `${server} registers under faults`,
  { skip: skipReason ?? false, timeout: 60_000 + 4 * nemesisMs },
  () => {
    it('give a linearizable history of writes and linearizable reads', async (t) => {
      t.diagnostic(`seed ${seed} (repeat with DUST_E2E_SEED=${seed})`);
      // Separate sources: the clients draw as fast as answers come back, so their share of draws varies
      // from run to run, while the fault schedule should repeat exactly for the same seed.
      const clientRandom = seededRandom(seed);
      const nemesisRandom = seededRandom(seed ^ 0x5bd1e995);
      const readLevels: readonly LinearizableLevel[] = traits.linearizableReads
        ? ['linearizable', 'strong']
        : ['strong'];
      const faults: readonly FaultKind[] = traits.peerAddressOverride
        ? [...processFaults, ...networkFaults]
        : processFaults;
      if (!traits.linearizableReads)
        t.diagnostic(`${server} serves level=linearizable as weak: reads use level=strong only`);
      if (!traits.peerAddressOverride)
        t.diagnostic(`${server} cannot be partitioned through the proxies: no isolation faults`);

      await withCluster({ size: 3, server, meshed: traits.peerAddressOverride }, async (cluster) => {
        const setup = await cluster.execute(await cluster.leader(), [
          createRegisterTable,
          ...keys.map((key) => [`INSERT INTO ${registerTable}(k, v) VALUES(?, NULL)`, key]),
        ]);
        assert.equal(judgeWrite(setup, 1 + keys.length).kind, 'ok', describeOutcome(setup));

        const originMs = nowMs();
        const workload = new RegisterWorkload(cluster, {
          clients: 4,
          keys,
          readLevels,
          writeShare: 0.5,
          requestTimeoutMs: 3_000,
          operationsMax: 40_000,
          durationMaxMs: nemesisMs + 60_000,
          random: clientRandom,
        }).start({ sampleLocalReads: true });
        const lag = new ReplicationLagSampler(cluster, 250).start();
        let faultLog = '';
        try {
          await sleep(2_000);
          const records = await runNemesis(cluster, {
            durationMs: nemesisMs,
            kinds: faults,
            faultMs: [1_500, 4_000],
            quietMs: [1_000, 2_500],
            random: nemesisRandom,
          });
          faultLog = describeFaults(records, originMs);
          await cluster.waitForMembers();
          await sleep(2_000);
        } finally {
          await workload.stop();
          await lag.stop();
        }
        t.diagnostic(`faults: ${faultLog}`);

        // Every node ends with the registers' final values.
        const leader = await cluster.leader();
        const finalValues = await Promise.all(
          keys.map(async (key) => {
            const outcome = await cluster.query(leader, `SELECT v FROM ${registerTable} WHERE k = ?`, [key], {
              level: 'strong',
            });
            const verdict = judgeQuery(outcome);
            assert.equal(verdict.kind, 'rows', describeOutcome(outcome));
            return verdict.kind === 'rows' ? verdict.rows[0]?.[0] : undefined;
          }),
        );
        for (const node of cluster.nodes) {
          let lastSeen = '';
          await pollUntil(
            async () => {
              const outcome = await cluster.query(node, `SELECT v FROM ${registerTable} ORDER BY k`, [], {
                level: 'none',
              });
              const verdict = judgeQuery(outcome);
              const values = verdict.kind === 'rows' ? verdict.rows.map((row) => row[0]) : [];
              lastSeen = JSON.stringify(values);
              return JSON.stringify(values) === JSON.stringify(finalValues) ? true : undefined;
            },
            {
              timeoutMs: 30_000,
              onTimeout: () =>
                new Error(
                  `node ${node.id} holds ${lastSeen}; the leader holds ${JSON.stringify(finalValues)}`,
                ),
            },
          );
        }

        const history = workload.history;
        const count = (predicate: (operation: (typeof history)[number]) => boolean): number =>
          history.filter(predicate).length;
        const writesOk = count(
          (operation) => operation.input.kind === 'put' && operation.output !== undefined,
        );
        const writesUnknown = count(
          (operation) => operation.input.kind === 'put' && operation.output === undefined,
        );
        const readsOk = count((operation) => operation.input.kind === 'get');
        const checked = withoutUnobservedUnknownWrites(history);
        const checkStartMs = nowMs();
        const verdict = checkLinearizability(keyValueModel, checked);
        const checkMs = nowMs() - checkStartMs;
        t.diagnostic(
          `history: ${history.length} operations (${writesOk} writes acknowledged, ${writesUnknown} with unknown ` +
            `outcome, ${readsOk} reads answered; ${workload.omittedOperations} failed for certain and left out); ` +
            `${history.length - checked.length} unknown writes that no read observed dropped before the check; ` +
            `verdict: ${verdict.result} in ${Math.round(checkMs)} ms`,
        );

        const staleness = measureStaleness(history, workload.localReads);
        const lagSummary = lag.summary();
        t.diagnostic(
          `level=none reads on followers: ${staleness.reads}, ${staleness.staleReads} certainly stale, by at least ` +
            `${Math.round(staleness.maxStalenessMs)} ms at most; follower lag behind the leader's commit index over ` +
            `${lagSummary.samples} samples: median ${lagSummary.medianEntries}, max ${lagSummary.maxEntries} entries`,
        );

        assert.deepEqual(
          workload.anomalies.slice(0, 5),
          [],
          `${workload.anomalies.length} answers no correct server gives`,
        );
        const failedButApplied = workload.valuesOfFailedWritesSeen();
        assert.deepEqual(
          failedButApplied.slice(0, 5),
          [],
          `${failedButApplied.length} reads returned values whose writes were answered as failed`,
        );
        assert.deepEqual(
          staleness.unexplained.slice(0, 5),
          [],
          'every level=none read returned a value some client wrote',
        );
        assert.ok(
          writesOk >= 50 && readsOk >= 50,
          `the clients got enough answers to test anything (${writesOk} writes, ${readsOk} reads)`,
        );
        assert.equal(
          verdict.result,
          'linearizable',
          verdict.result === 'violation'
            ? verdict.message
            : verdict.result === 'unknown'
              ? verdict.reason
              : '',
        );
      });
    });
  },
);

function seedFromEnvironment(): number {
  const given = process.env['DUST_E2E_SEED'];
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 32);
  return integerFromEnvironment('DUST_E2E_SEED', 0, 0, 2 ** 32 - 1);
}

function integerFromEnvironment(name: string, fallback: number, min: number, max: number): number {
  const given = process.env[name];
  if (given === undefined || given === '') return fallback;
  const value = Number(given);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ClusterConfigError(`${name}=${given} must be an integer from ${min} to ${max}.`);
  }
  return value;
}
