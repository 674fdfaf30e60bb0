// A real process crash: a child process writes through the log and reports each acknowledged operation; the
// test kills it with SIGKILL at a seeded moment, reopens the log and checks that it holds exactly the state after
// some prefix of the workload that includes every acknowledged operation (writes are atomic and in order, so no
// other state is allowed). Several rounds continue the same log, so recovery also runs on logs that earlier
// crashes and repairs produced.
//
// DUST_LOG_CRASH_ROUNDS sets the number of kills (default 4) for a longer soak.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DurableLog } from '../../src/log/durable-log.js';
import { ModelLog, seededRandom, workload } from './crash-workload.js';
import { CollectedWarnings, temporaryDirectory } from './helpers.js';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');
const rounds = Number(process.env.DUST_LOG_CRASH_ROUNDS ?? 4);
const inFlight = 8;
const segmentBytes = 64 * 1024;
const roundTimeoutMs = 20_000;

interface RoundResult {
  readonly acknowledged: number;
  readonly stderr: string;
}

/** Runs the child until it has acknowledged `acknowledgements` operations (or the time bound), then kills it. */
function runAndKill(directory: string, seed: number, acknowledgements: number): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [childScript, directory, String(seed), String(inFlight), String(segmentBytes)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let acknowledged = -1;
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, roundTimeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) {
        const match = /^ack (\d+)$/.exec(line);
        if (match !== null) acknowledged = Math.max(acknowledged, Number(match[1]));
      }
      if (acknowledged + 1 >= acknowledgements) kill();
    });
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`the child exited by itself (code ${code}, signal ${signal}):\n${stderr}`));
        return;
      }
      resolve({ acknowledged, stderr });
    });
  });
}

void test('after SIGKILL at random moments, every acknowledged operation is on disk and intact', async () => {
  const { directory, remove } = temporaryDirectory();
  const random = seededRandom(20_240_601);
  let model = new ModelLog();
  try {
    for (let round = 0; round < rounds; round++) {
      const seed = 1000 + round;
      const target = 20 + Math.floor(random() * 300);
      const { acknowledged, stderr } = await runAndKill(directory, seed, target);
      assert.ok(
        acknowledged >= 0,
        `round ${round}: the child acknowledged nothing before the time bound\n${stderr}`,
      );

      const warnings = new CollectedWarnings();
      const log = await DurableLog.open(directory, { warnings, segmentBytesMax: segmentBytes });
      try {
        // The recovered log must equal the model after p operations, for some p from acknowledged + 1 (every
        // acknowledged operation) to acknowledged + 1 + inFlight (at most one unacknowledged call per worker).
        const operations = workload(seed, model);
        const candidate = model.clone();
        let matched: number | undefined;
        const differences: string[] = [];
        for (let applied = 0; applied <= acknowledged + 1 + inFlight; applied++) {
          if (applied > acknowledged) {
            const difference = candidate.differenceFrom(log);
            if (difference === undefined) {
              matched = applied;
              break;
            }
            differences.push(`after ${applied} operations: ${difference}`);
          }
          candidate.apply(operations.next().value);
        }
        assert.ok(
          matched !== undefined,
          `round ${round}: acknowledged through operation ${acknowledged}, but the recovered log matches no ` +
            `allowed state:\n${differences.join('\n')}\nwarnings: ${warnings.messages.join('\n')}`,
        );
        model = ModelLog.of(log);
      } finally {
        await log.close();
      }
    }
  } finally {
    remove();
  }
});
