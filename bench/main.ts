// `npm run bench`: every benchmark of the project, one line per figure (`NAME value unit`, then ratios
// against the baselines measured in this same run). Progress goes to stderr, figures and notes to stdout.
// Exit status: 0 when every group ran and every request succeeded, 1 otherwise, 2 for a bad command line.
//
//   npm run bench -- [--only single|log|raft|cluster] [--duration SECONDS] [--quick]
//                    [--cluster-subject dustd-disk|dustd-memory|rqlited]
import os from 'node:os';

import { benchCluster } from './cluster.js';
import type { ClusterSettings } from './cluster-settings.js';
import { benchLogGroup, benchRaftGroup, raftCoreAvailable } from './external-groups.js';
import { formatFigure, type Figure } from './figures.js';
import {
  BenchUsageError,
  parseBenchArguments,
  usageText,
  type BenchOptions,
  type GroupName,
} from './options.js';
import { cleanUpNow } from './servers.js';
import { benchSingle, type SingleSettings } from './single.js';

const exitUsage = 2;
const exitFailure = 1;

function singleSettings(options: BenchOptions): SingleSettings {
  return {
    durationMs: options.durationSeconds * 1000,
    rounds: options.quick ? 1 : 3,
    warmupMs: options.quick ? 100 : 300,
    batchRows: 10_000,
    batchRepeats: options.quick ? 1 : 5,
    includeRqlited: !options.quick,
  };
}

const megabyte = 1024 * 1024;

/** A quick cluster run only proves the group works: a small database, one short round of each load. */
function clusterSettings(options: BenchOptions): ClusterSettings {
  return {
    durationMs: options.durationSeconds * 1000,
    rounds: options.quick ? 1 : 3,
    warmupMs: options.quick ? 100 : 300,
    batchRows: 10_000,
    batchRepeats: options.quick ? 1 : 5,
    fillBytes: (options.quick ? 4 : 100) * megabyte,
    formationTimeoutMs: 30_000,
    subject: options.clusterSubject,
  };
}

function progress(line: string): void {
  process.stderr.write(`# ${line}\n`);
}

/** Other work on a shared machine shows in the load average; a figure taken under load says so. */
function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function printHeader(options: BenchOptions): void {
  const cpus = os.cpus();
  console.log(`# dust bench ${new Date().toISOString()}`);
  console.log(
    `# machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `# groups: ${options.groups.join(', ')}; ${options.durationSeconds} s measured per figure${options.quick ? ' (quick)' : ''}`,
  );
  console.log(`# load average at the start: ${loadAverage()}`);
}

interface GroupReport {
  readonly figures: Figure[];
  readonly failures: number;
  readonly notes: string[];
}

async function runGroup(group: GroupName, options: BenchOptions): Promise<GroupReport> {
  switch (group) {
    case 'single':
      return benchSingle(singleSettings(options), progress);
    case 'log':
      progress('log: durable log appends beside raw fsyncs');
      return { figures: await benchLogGroup(), failures: 0, notes: [] };
    case 'raft':
      if (!raftCoreAvailable()) {
        return {
          figures: [],
          failures: 0,
          notes: ['raft: skipped, this build has no Raft core benchmark (bench/raft-core.ts)'],
        };
      }
      progress('raft: proposals committed by the Raft core in a simulated 3-node cluster');
      return { figures: await benchRaftGroup(), failures: 0, notes: [] };
    case 'cluster':
      return benchCluster(clusterSettings(options), progress);
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${usageText}`);
    return exitUsage;
  }
  if (options.help) {
    process.stdout.write(usageText);
    return 0;
  }
  printHeader(options);
  let figures = 0;
  let failures = 0;
  let failedGroups = 0;
  for (const group of options.groups) {
    try {
      const report = await runGroup(group, options);
      for (const figure of report.figures) console.log(formatFigure(figure));
      for (const note of report.notes) console.log(`# ${note}`);
      figures += report.figures.length;
      failures += report.failures;
    } catch (error) {
      failedGroups++;
      console.log(
        `# ${group}: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  console.log(`# load average at the end: ${loadAverage()}`);
  console.log(`bench: ${figures} figures, ${failures} failed requests, ${failedGroups} failed groups`);
  return failures === 0 && failedGroups === 0 ? 0 : exitFailure;
}

// Servers are children of this process: whatever way it ends, they end with it.
process.on('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUpNow();
    process.exit(128 + (os.constants.signals[signal] ?? 0));
  });
}

process.exitCode = await main();
