// The validated configuration of one dustd process, built once at start from the command line. Every
// check that can fail does so here, with a message naming the flag, before anything is opened.
import path from 'node:path';

import { flagSpecs } from './flag-spec.js';
import { FlagError, type FlagValue, type ParsedCommandLine } from './flags.js';

export type RaftLogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';

export interface NodeConfig {
  readonly dataDir: string;
  readonly nodeId: string;
  readonly httpAddr: HostPort;
  readonly httpAdvertisedAddr: HostPort;
  readonly raftAddr: HostPort;
  readonly raftAdvertisedAddr: HostPort;
  readonly httpAllowOrigin: string;
  readonly foreignKeys: boolean;
  readonly onDisk: boolean;
  /** The SQLite file in on-disk mode. */
  readonly onDiskPath: string;
  readonly readConnectionsMax: number;
  readonly logLevel: RaftLogLevel;
  readonly snapshotThresholdEntries: number;
  readonly snapshotIntervalMs: number;
  /**
   * Entries kept in the log behind a threshold snapshot, as rqlite keeps its trailing logs: a follower a
   * little behind then catches up from the log instead of receiving the whole database.
   */
  readonly trailingLogEntries: number;
  readonly applyTimeoutMs: number;
  /** Consensus timing derived from -raft-heartbeat-timeout and -raft-election-timeout. */
  readonly raftTiming: RaftTiming;
  /** Remove this node from the cluster on a graceful shutdown (-raft-cluster-remove-shutdown). */
  readonly removeSelfOnShutdown: boolean;
  /** Stop the process once the leader says this node was removed (-raft-remove-shutdown). */
  readonly shutdownWhenRemoved: boolean;
  /** A leader removes a voter it has not heard from for this long (-raft-reap-node-timeout; 0 = never). */
  readonly reapVoterAfterMs: number;
  /** The same for read replicas (-raft-reap-read-only-node-timeout; 0 = never). */
  readonly reapNonVoterAfterMs: number;
  readonly httpBodyBytesMax: number;
  readonly statementsPerRequestMax: number;
  /** Members to join at first start (-join): Raft addresses or http(s):// API URLs. */
  readonly joinTargets: readonly string[];
  readonly joinAttempts: number;
  readonly joinIntervalMs: number;
  /** Join as a read replica (-raft-non-voter). */
  readonly nonVoter: boolean;
  /**
   * Voters to wait for before one of them founds a cluster (-bootstrap-expect; 0 = off). Every node is
   * started with the same -join list; used only by a node that has no state yet.
   */
  readonly bootstrapExpect: number;
  /** A node that has neither joined nor founded a cluster after this long exits. */
  readonly bootstrapExpectTimeoutMs: number;
  /** Hand leadership to another voter before a graceful shutdown (-raft-shutdown-stepdown). */
  readonly shutdownStepdown: boolean;
  /** Queued writes: most requests waiting (-write-queue-capacity), requests per batch, batch timeout. */
  readonly writeQueueCapacity: number;
  readonly writeQueueBatchSize: number;
  readonly writeQueueTimeoutMs: number;
  /** Run each queued batch in one transaction (-write-queue-tx). */
  readonly writeQueueTransaction: boolean;
  /** Flags the user gave whose feature is not built yet, with the reason, reported once at start-up. */
  readonly notSupportedYet: readonly { flag: string; reason: string }[];
}

/**
 * The consensus core counts time in ticks. A follower that hears nothing from a leader for an election
 * timeout campaigns; a leader sends heartbeats ten times per heartbeat timeout, as hashicorp/raft (which
 * rqlite uses) does, so that a few lost heartbeats do not start an election.
 */
export interface RaftTiming {
  readonly heartbeatTimeoutMs: number;
  readonly electionTimeoutMs: number;
  readonly tickIntervalMs: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
}

// Ticks shorter than this would keep the event loop busy with timers; longer ones would make the
// default one-second timeout coarse.
const tickIntervalMinMs = 10;
const tickIntervalMaxMs = 100;
const heartbeatsPerHeartbeatTimeout = 10;

export function raftTimingOf(heartbeatTimeoutMs: number, electionTimeoutMs: number): RaftTiming {
  const heartbeatFloorMs = tickIntervalMinMs * heartbeatsPerHeartbeatTimeout;
  if (heartbeatTimeoutMs < heartbeatFloorMs) {
    throw new FlagError(
      `invalid value for flag -raft-heartbeat-timeout: must be at least ${heartbeatFloorMs}ms, got ${heartbeatTimeoutMs}ms`,
    );
  }
  if (electionTimeoutMs < heartbeatTimeoutMs) {
    throw new FlagError(
      `-raft-election-timeout (${electionTimeoutMs}ms) must be at least -raft-heartbeat-timeout (${heartbeatTimeoutMs}ms)`,
    );
  }
  const heartbeatIntervalMs = heartbeatTimeoutMs / heartbeatsPerHeartbeatTimeout;
  const tickIntervalMs = Math.min(tickIntervalMaxMs, Math.floor(heartbeatIntervalMs));
  return {
    heartbeatTimeoutMs,
    electionTimeoutMs,
    tickIntervalMs,
    electionTimeoutTicks: Math.round(electionTimeoutMs / tickIntervalMs),
    heartbeatIntervalTicks: Math.max(1, Math.floor(heartbeatIntervalMs / tickIntervalMs)),
  };
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function buildConfig(commandLine: ParsedCommandLine): NodeConfig {
  const { values } = commandLine;
  if (commandLine.positional.length === 0) {
    throw new FlagError('no data directory given: usage is dustd [flags] DATA_DIR');
  }
  if (commandLine.positional.length > 1) {
    throw new FlagError(
      `only one data directory may be given, got ${commandLine.positional.length}: ${commandLine.positional.join(' ')}`,
    );
  }
  const dataDir = path.resolve(commandLine.positional[0] ?? '');

  const httpAddr = hostPort(values, 'http-addr');
  const raftAddr = hostPort(values, 'raft-addr');
  const httpAdvertisedAddr =
    str(values, 'http-adv-addr') === '' ? httpAddr : hostPort(values, 'http-adv-addr');
  const raftAdvertisedAddr =
    str(values, 'raft-adv-addr') === '' ? raftAddr : hostPort(values, 'raft-adv-addr');
  // Port 0 asks the OS for a free port, so two such addresses never collide.
  if (httpAddr.port !== 0 && formatHostPort(httpAddr) === formatHostPort(raftAddr)) {
    throw new FlagError(`-http-addr and -raft-addr must differ, both are ${formatHostPort(httpAddr)}`);
  }
  for (const [flag, address] of [
    ['http-adv-addr', httpAdvertisedAddr],
    ['raft-adv-addr', raftAdvertisedAddr],
  ] as const) {
    if (commandLine.given.has(flag) && ['0.0.0.0', '::', ''].includes(address.host)) {
      throw new FlagError(
        `-${flag} ${formatHostPort(address)} is not routable: advertise an address others can reach`,
      );
    }
  }

  const logLevel = str(values, 'raft-log-level').toUpperCase();
  if (!['ERROR', 'WARN', 'INFO', 'DEBUG'].includes(logLevel)) {
    throw new FlagError(
      `invalid value "${logLevel}" for flag -raft-log-level: use ERROR, WARN, INFO or DEBUG`,
    );
  }
  const onDisk = bool(values, 'on-disk');
  if (commandLine.given.has('on-disk-path') && !onDisk) {
    throw new FlagError('-on-disk-path needs -on-disk');
  }
  const onDiskPath =
    str(values, 'on-disk-path') === ''
      ? path.join(dataDir, 'db.sqlite')
      : path.resolve(str(values, 'on-disk-path'));

  const joinTargets = str(values, 'join')
    .split(',')
    .map((target) => target.trim())
    .filter((target) => target !== '');
  const bootstrapExpect = atLeast(values, 'bootstrap-expect', 0);
  if (bootstrapExpect > 0) {
    if (bool(values, 'raft-non-voter')) {
      throw new FlagError(
        '-bootstrap-expect cannot be used with -raft-non-voter: a read replica cannot found a cluster',
      );
    }
    if (joinTargets.length === 0) {
      throw new FlagError(
        '-bootstrap-expect needs -join: list the Raft addresses of the nodes that form the cluster',
      );
    }
    const url = joinTargets.find((target) => /^https?:\/\//i.test(target));
    if (url !== undefined) {
      throw new FlagError(
        `-bootstrap-expect needs Raft addresses (host:port) in -join, not an API URL: ${url}`,
      );
    }
  }

  const notSupportedYet = flagSpecs
    .filter((spec) => spec.notSupportedYet !== undefined && commandLine.given.has(spec.name))
    .map((spec) => ({ flag: spec.name, reason: spec.notSupportedYet ?? '' }));

  return {
    dataDir,
    nodeId: str(values, 'node-id') === '' ? formatHostPort(raftAdvertisedAddr) : str(values, 'node-id'),
    httpAddr,
    httpAdvertisedAddr,
    raftAddr,
    raftAdvertisedAddr,
    httpAllowOrigin: str(values, 'http-allow-origin'),
    foreignKeys: bool(values, 'fk'),
    onDisk,
    onDiskPath,
    readConnectionsMax: atLeast(values, 'db-max-ro-conns', 0),
    logLevel: logLevel as RaftLogLevel,
    snapshotThresholdEntries: atLeast(values, 'raft-snap', 1),
    snapshotIntervalMs: positiveDuration(values, 'raft-snap-int'),
    trailingLogEntries: Math.min(10_240, atLeast(values, 'raft-snap', 1)),
    applyTimeoutMs: positiveDuration(values, 'raft-apply-timeout'),
    raftTiming: raftTimingOf(
      positiveDuration(values, 'raft-heartbeat-timeout'),
      positiveDuration(values, 'raft-election-timeout'),
    ),
    removeSelfOnShutdown: bool(values, 'raft-cluster-remove-shutdown'),
    shutdownWhenRemoved: bool(values, 'raft-remove-shutdown'),
    reapVoterAfterMs: nonNegativeDuration(values, 'raft-reap-node-timeout'),
    reapNonVoterAfterMs: nonNegativeDuration(values, 'raft-reap-read-only-node-timeout'),
    httpBodyBytesMax: atLeast(values, 'http-body-max', 1024),
    statementsPerRequestMax: atLeast(values, 'statements-max', 1),
    joinTargets,
    joinAttempts: atLeast(values, 'join-attempts', 1),
    joinIntervalMs: positiveDuration(values, 'join-interval'),
    nonVoter: bool(values, 'raft-non-voter'),
    bootstrapExpect,
    bootstrapExpectTimeoutMs: positiveDuration(values, 'bootstrap-expect-timeout'),
    shutdownStepdown: bool(values, 'raft-shutdown-stepdown'),
    writeQueueCapacity: atLeast(values, 'write-queue-capacity', 1),
    writeQueueBatchSize: atLeast(values, 'write-queue-batch-size', 1),
    writeQueueTimeoutMs: positiveDuration(values, 'write-queue-timeout'),
    writeQueueTransaction: bool(values, 'write-queue-tx'),
    notSupportedYet,
  };
}

function str(values: ReadonlyMap<string, FlagValue>, name: string): string {
  const value = values.get(name);
  if (typeof value !== 'string') throw new Error(`flag -${name} is not a string flag`);
  return value;
}

function bool(values: ReadonlyMap<string, FlagValue>, name: string): boolean {
  const value = values.get(name);
  if (typeof value !== 'boolean') throw new Error(`flag -${name} is not a boolean flag`);
  return value;
}

function num(values: ReadonlyMap<string, FlagValue>, name: string): number {
  const value = values.get(name);
  if (typeof value !== 'number') throw new Error(`flag -${name} is not a numeric flag`);
  return value;
}

function atLeast(values: ReadonlyMap<string, FlagValue>, name: string, minimum: number): number {
  const value = num(values, name);
  if (value < minimum)
    throw new FlagError(`invalid value ${value} for flag -${name}: must be at least ${minimum}`);
  return value;
}

function positiveDuration(values: ReadonlyMap<string, FlagValue>, name: string): number {
  const value = num(values, name);
  if (value <= 0) throw new FlagError(`invalid value for flag -${name}: must be a positive duration`);
  return value;
}

function nonNegativeDuration(values: ReadonlyMap<string, FlagValue>, name: string): number {
  const value = num(values, name);
  if (value < 0) throw new FlagError(`invalid value for flag -${name}: must not be a negative duration`);
  return value;
}

function hostPort(values: ReadonlyMap<string, FlagValue>, name: string): HostPort {
  const raw = str(values, name);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new FlagError(`invalid value "${raw}" for flag -${name}: give host:port without a scheme`);
  }
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(raw);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FlagError(`invalid value "${raw}" for flag -${name}: expected host:port, e.g. localhost:4001`);
  }
  return { host: match[1] ?? match[2] ?? '', port };
}
