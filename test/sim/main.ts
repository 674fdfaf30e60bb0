// The simulator's command line:
//
//   npm run sim -- --seed S --count N       run N seeds starting at S
//   npm run sim -- --seed S --trace         replay seed S and print its event trace
//   npm run sim -- --seed S --count N --variant doubleVote
//                                           run a deliberately broken core (see broken-variants.ts)
//
// The first line names the seeds; each failing seed is printed with its violations and the command that
// replays it; the last line is `sim: N seeds, V violations` (V counts failing seeds). The exit status is
// 1 when any seed failed.

import { brokenVariants, type BrokenVariantName } from './broken-variants.js';
import { describeProfile, unitsPerTick } from './profile.js';
import { runSeeds } from './run-seeds.js';
import { simulate, type SimulationResult } from './simulator.js';

interface CommandLine {
  seed: number;
  count: number;
  trace: boolean;
  variant: BrokenVariantName | undefined;
}

const variantNames = Object.keys(brokenVariants).join('|');

function usage(problem: string): never {
  console.error(`sim: ${problem}`);
  console.error(`usage: sim [--seed S] [--count N] [--trace] [--variant ${variantNames}]`);
  process.exit(2);
}

function parse(args: readonly string[]): CommandLine {
  const options: CommandLine = { seed: 1, count: 1, trace: false, variant: undefined };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) usage(`${flag} needs a value`);
      return next;
    };
    switch (flag ?? '') {
      case '--seed': {
        const seed = Number(value());
        if (!Number.isSafeInteger(seed) || seed < 0) usage('--seed must be a non-negative integer');
        options.seed = seed;
        break;
      }
      case '--count': {
        const count = Number(value());
        if (!Number.isSafeInteger(count) || count < 1) usage('--count must be a positive integer');
        options.count = count;
        break;
      }
      case '--trace':
      case '--verbose':
      case '-v':
        options.trace = true;
        break;
      case '--variant': {
        const name = value();
        if (!(name in brokenVariants)) usage(`unknown variant ${name}; known: ${variantNames}`);
        options.variant = name as BrokenVariantName;
        break;
      }
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  return options;
}

function printFailure(result: SimulationResult, variant: string | undefined): void {
  console.log(`seed ${result.seed}: FAILED (${describeProfile(result.profile)})`);
  for (const violation of result.violations) {
    console.log(
      `  ${violation.checker} at tick ${(violation.time / unitsPerTick).toFixed(2)}: ${violation.message}`,
    );
  }
  const variantFlag = variant === undefined ? '' : ` --variant ${variant}`;
  console.log(`  replay: npm run sim -- --seed ${result.seed} --trace${variantFlag}`);
}

function printStats(result: SimulationResult): void {
  const s = result.stats;
  console.log(
    `seed ${result.seed}: ${s.events} events, ${s.ticks} ticks, ${s.messages} messages, ${s.leaders} leader terms, ` +
      `${s.crashes} crashes, ${s.partitions} partitions, ${s.snapshotsSent} snapshots sent, ` +
      `${s.configurationChanges} configuration changes, ${s.transfers} transfers, ` +
      `${s.workload.completed} operations completed, ${s.workload.unknown} unknown, ` +
      `${s.readsByQuorum} reads by quorum, ${s.readsByLease} by lease, ` +
      `linearizability ${s.linearizability}, liveness ${s.livenessTicks ?? '-'} ticks`,
  );
}

function main(): void {
  const options = parse(process.argv.slice(2));
  const raftFactory = options.variant === undefined ? undefined : brokenVariants[options.variant];
  const variantNote = options.variant === undefined ? '' : `, variant ${options.variant}`;
  console.log(`sim: seed ${options.seed}, count ${options.count}${variantNote}`);
  let failures = 0;
  if (options.trace) {
    for (let seed = options.seed; seed < options.seed + options.count; seed++) {
      const result = simulate({ seed, trace: true, ...(raftFactory === undefined ? {} : { raftFactory }) });
      for (const line of result.trace) console.log(line);
      printStats(result);
      if (result.violations.length > 0) {
        failures++;
        printFailure(result, options.variant);
      }
    }
  } else {
    let done = 0;
    const summary = runSeeds({
      firstSeed: options.seed,
      count: options.count,
      ...(raftFactory === undefined ? {} : { raftFactory }),
      onResult: (result) => {
        done++;
        if (result.violations.length > 0) printFailure(result, options.variant);
        if (done % 1000 === 0) console.error(`sim: ${done} of ${options.count} seeds done`);
      },
    });
    failures = summary.failures.length;
    const seconds = summary.elapsedMs / 1000;
    console.log(
      `sim: ${(summary.seeds / seconds).toFixed(1)} seeds/s over ${seconds.toFixed(1)} s, ` +
        `${summary.operations} client operations (${summary.leaseReads} lease reads), ` +
        `${summary.inconclusive} inconclusive linearizability checks`,
    );
  }
  console.log(`sim: ${options.count} seeds, ${failures} violations`);
  if (failures > 0) process.exitCode = 1;
}

main();
