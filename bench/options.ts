// The benchmark's command line: which groups to run and for how long.
//
//   node dist/bench/main.js [--only single|log|raft|cluster[,...]] [--duration SECONDS] [--quick]
//                           [--cluster-subject dustd-disk|dustd-memory|rqlited]
import { clusterSubjectKinds, type ClusterSubjectKind } from './cluster-settings.js';

export const groupNames = ['single', 'log', 'raft', 'cluster'] as const;
export type GroupName = (typeof groupNames)[number];

export interface BenchOptions {
  readonly groups: readonly GroupName[];
  /** Measured seconds per figure for each subject (split into rounds that take turns). */
  readonly durationSeconds: number;
  /** A smoke run of a few seconds: short loads, one round, one batch, no rqlited, no cluster. */
  readonly quick: boolean;
  /** What the cluster group compares with a three-node rqlited. */
  readonly clusterSubject: ClusterSubjectKind;
  readonly help: boolean;
}

/** A command line the benchmark cannot run; main prints it with the usage and exits with status 2. */
export class BenchUsageError extends Error {
  readonly code = 'BENCH_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

export const defaultDurationSeconds = 6;
export const quickDurationSeconds = 0.3;
const durationSecondsMax = 600;

/** The cluster group starts six servers and fills two databases: a smoke run leaves it out unless named. */
export const quickGroupNames: readonly GroupName[] = groupNames.filter((group) => group !== 'cluster');

export const usageText = `usage: npm run bench -- [--only GROUP[,GROUP]] [--duration SECONDS] [--quick]
                       [--cluster-subject SYSTEM]

  --only GROUP       run only these groups: ${groupNames.join(', ')} (default: all)
  --duration S       measured seconds per figure and subject (default ${defaultDurationSeconds}; at most ${durationSecondsMax})
  --quick            a smoke run of a few seconds (duration ${quickDurationSeconds} s, one round, one batch, no rqlited;
                     no cluster group unless --only names it, and then a tiny one)
  --cluster-subject  what the cluster group compares with three rqlited nodes: ${clusterSubjectKinds.join(', ')}
                     (default ${clusterSubjectKinds[0]}; rqlited measures the noise between two identical clusters)
  --help             this text
`;

function isGroupName(text: string): text is GroupName {
  return (groupNames as readonly string[]).includes(text);
}

function parseGroups(text: string): GroupName[] {
  const groups: GroupName[] = [];
  for (const part of text.split(',')) {
    if (!isGroupName(part)) {
      throw new BenchUsageError(`--only: unknown group "${part}" (groups: ${groupNames.join(', ')})`);
    }
    if (!groups.includes(part)) groups.push(part);
  }
  return groups;
}

function isClusterSubjectKind(text: string): text is ClusterSubjectKind {
  return (clusterSubjectKinds as readonly string[]).includes(text);
}

function parseClusterSubject(text: string): ClusterSubjectKind {
  if (!isClusterSubjectKind(text)) {
    throw new BenchUsageError(
      `--cluster-subject: unknown system "${text}" (systems: ${clusterSubjectKinds.join(', ')})`,
    );
  }
  return text;
}

function parseDuration(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > durationSecondsMax) {
    throw new BenchUsageError(
      `--duration: "${text}" is not a number of seconds above 0 and at most ${durationSecondsMax}`,
    );
  }
  return seconds;
}

export function parseBenchArguments(argv: readonly string[]): BenchOptions {
  let groups: GroupName[] | undefined;
  let durationSeconds: number | undefined;
  let clusterSubject: ClusterSubjectKind = clusterSubjectKinds[0];
  let quick = false;
  let help = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const equals = argument.indexOf('=');
    const flag = equals === -1 ? argument : argument.slice(0, equals);
    const inlineValue = equals === -1 ? undefined : argument.slice(equals + 1);
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = argv[++index];
      if (next === undefined) throw new BenchUsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--only':
        groups = parseGroups(value());
        break;
      case '--duration':
        durationSeconds = parseDuration(value());
        break;
      case '--cluster-subject':
        clusterSubject = parseClusterSubject(value());
        break;
      case '--quick':
        if (inlineValue !== undefined) throw new BenchUsageError('--quick takes no value');
        quick = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new BenchUsageError(`unknown argument "${argument}"`);
    }
  }
  return {
    groups: groups ?? (quick ? [...quickGroupNames] : [...groupNames]),
    durationSeconds: durationSeconds ?? (quick ? quickDurationSeconds : defaultDurationSeconds),
    quick,
    clusterSubject,
    help,
  };
}
