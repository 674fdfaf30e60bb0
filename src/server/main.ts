// dustd's entry point: read the command line, open the node, serve the HTTP API, and shut down cleanly on
// SIGTERM or SIGINT (stop accepting requests, finish those in flight, sync the log, exit 0).
import path from 'node:path';

import { createApiServer } from '../http/server.js';
import { BootstrapTimeoutError } from '../cluster/bootstrap.js';
import { joinCluster } from '../cluster/join.js';
import { RpcLeaderProxy } from '../cluster/leader-proxy.js';
import { ClusterService } from '../cluster/service.js';
import { NodeBackupStore } from './backup-store.js';
import { bootstrapStart, type BootstrapStart } from './bootstrap-start.js';
import { clusterNodeOf, leaderHintOf, membershipOf } from './cluster-wiring.js';
import { buildConfig, formatHostPort, type NodeConfig } from './config.js';
import { ReplicatedDataStore } from './data-store.js';
import { FlagError, parseCommandLine, usageText } from './flags.js';
import { createLogger, type Logger } from './logger.js';
import { Reaper } from './reaper.js';
import { DustNode } from './node.js';
import { NodeStatus } from './status.js';
import { parseDialOverrides } from './peer-network.js';
import { dustVersion } from './version.js';

// Exit statuses: 2 for a command line that cannot be used (as Go's flag package), 1 for a failure to run.
const exitUsage = 2;
const exitFailure = 1;
const shutdownGraceMs = 10_000;
const shutdownStepdownMs = 3_000;
const shutdownLeaveMs = 5_000;
// Backups and boots each hold a copy of the database in this folder of the data directory while they run.
const backupWorkDirectoryName = 'backup-work';
const backupTransfersMax = 4;

function readConfig(argv: readonly string[]): NodeConfig {
  try {
    const commandLine = parseCommandLine(argv);
    if (commandLine.help) {
      process.stdout.write(usageText());
      process.exit(0);
    }
    if (commandLine.values.get('version') === true) {
      process.stdout.write(`dustd ${dustVersion()} (node ${process.version})\n`);
      process.exit(0);
    }
    return buildConfig(commandLine);
  } catch (error) {
    if (error instanceof FlagError) {
      process.stderr.write(`dustd: ${error.message}\n`);
      process.exit(exitUsage);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2));
  const logger = createLogger('dustd', config.logLevel === 'DEBUG' ? 'DEBUG' : 'INFO');
  logger.info(`dustd ${dustVersion()} starting, node ID ${config.nodeId}, data directory ${config.dataDir}`);
  for (const { flag, reason } of config.notSupportedYet) {
    logger.warn(`-${flag} is accepted but not supported yet (${reason}); it has no effect`);
  }
  logger.info(
    config.onDisk
      ? `SQLite database on disk at ${config.onDiskPath}`
      : 'SQLite database in memory, rebuilt from the log at start',
  );

  // With -bootstrap-expect, a node without state first learns whether it founds the cluster or joins it.
  let start: BootstrapStart = { joining: config.joinTargets.length > 0, joinAttempts: config.joinAttempts };
  if (config.bootstrapExpect > 0) {
    try {
      start = await bootstrapStart(config, logger.child('cluster'));
    } catch (error) {
      // One line that says what was seen, as for a failed join.
      logger.error(
        error instanceof BootstrapTimeoutError
          ? error.message
          : `cannot take part in forming a cluster: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(exitFailure);
    }
  }

  let node: DustNode;
  try {
    node = await DustNode.open(config, logger.child('store'), {
      joining: start.joining,
      dialOverrides: parseDialOverrides(process.env['DUST_TEST_PEER_ADDRESSES']),
    });
  } catch (error) {
    logger.error(`cannot open the node: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(exitFailure);
  }

  logger.child('cluster').info(`listening for other nodes on ${node.network.boundAddress()}`);

  const httpLogger = logger.child('http');
  const store = new ReplicatedDataStore(node.loop, localDatabase(node), {
    isReady: () => node.isReady(),
    leaderHint: (leaderId) => leaderHintOf(node, leaderId),
    leaderContactAgeMs: () => node.leaderContactAgeMs(),
    isVoter: () => node.raw.status().configuration.voters.includes(config.nodeId),
  });
  const backup = new NodeBackupStore(node, {
    workDirectory: path.join(config.dataDir, backupWorkDirectoryName),
    transfersMax: backupTransfersMax,
    leaderHint: (leaderId) => leaderHintOf(node, leaderId),
  });
  const clusterService = new ClusterService(
    clusterNodeOf(node, store, backup, dustVersion()),
    node.network.rpcClient,
  );
  clusterService.register(node.network.rpcServer);
  const proxy = new RpcLeaderProxy(node.network.rpcClient);
  const api = createApiServer(
    {
      store,
      backup,
      status: new NodeStatus(
        () => node,
        dustVersion(),
        () => clusterService.counters.toJson(),
      ),
      membership: membershipOf(node),
      proxy,
      onInternalError: (error, request) =>
        httpLogger.error(
          `${request.method} ${request.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        ),
      log: httpLogger,
    },
    {
      version: dustVersion(),
      advertisedAddress: formatHostPort(config.httpAdvertisedAddr),
      allowOrigin: config.httpAllowOrigin,
      bodyBytesMax: config.httpBodyBytesMax,
      statementsMax: config.statementsPerRequestMax,
      writeQueue: {
        capacity: config.writeQueueCapacity,
        batchSize: config.writeQueueBatchSize,
        timeoutMs: config.writeQueueTimeoutMs,
        transaction: config.writeQueueTransaction,
      },
    },
  );
  try {
    const bound = await api.listen(config.httpAddr.port, config.httpAddr.host);
    httpLogger.info(`service listening on ${formatHostPort({ host: bound.address, port: bound.port })}`);
  } catch (error) {
    logger.error(
      `cannot listen on ${formatHostPort(config.httpAddr)} (-http-addr): ${error instanceof Error ? error.message : String(error)}`,
    );
    await node.close();
    process.exit(exitFailure);
  }

  if (config.joinTargets.length > 0) {
    if (node.startedEmpty) await join(node, config, start.joinAttempts, logger);
    else if (start.joining) {
      logger.info('this node has state of its own and is already a member: -join is ignored');
    }
  }

  const snapshotTimer = setInterval(() => {
    if (node.loop.applied - node.lastSnapshot.index < config.snapshotThresholdEntries) return;
    node.snapshot({ trailingEntries: config.trailingLogEntries }).catch((error: unknown) => {
      logger.error(`snapshot failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }, config.snapshotIntervalMs);

  const reaper = new Reaper(
    {
      selfId: config.nodeId,
      isLeader: () => node.loop.softState().role === 'leader',
      membersNow: () => node.membersNow(),
      lastHeardFromMs: (id) => node.lastHeardFromMs(id),
      removeMember: (id) => node.removeMember(id),
    },
    {
      voterAfterMs: config.reapVoterAfterMs,
      nonVoterAfterMs: config.reapNonVoterAfterMs,
      logger: logger.child('store'),
    },
  );
  const reapTimer =
    reaper.checkIntervalMs > 0 ? setInterval(() => reaper.check(), reaper.checkIntervalMs) : undefined;

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(exitFailure);
    }
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    clearInterval(snapshotTimer);
    clearInterval(reapTimer);
    void stop(api.close({ graceMs: shutdownGraceMs }), node, logger, {
      stepdownFirst: config.shutdownStepdown,
      leaveCluster: config.removeSelfOnShutdown ? () => leaveCluster(node, proxy, logger) : undefined,
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (config.shutdownWhenRemoved) {
    // A removed node stops as on SIGTERM (it is no longer a member: nothing to hand over or leave).
    node.onRemoved = () => {
      if (!stopping) shutdown('removal from the cluster (-raft-remove-shutdown)');
    };
  }
}

/** Asks the members named by -join to add this node; exits if none will. */
async function join(node: DustNode, config: NodeConfig, attempts: number, logger: Logger): Promise<void> {
  try {
    const { members, via } = await joinCluster({
      targets: config.joinTargets,
      request: {
        id: config.nodeId,
        raftAddress: node.self.raftAddress,
        apiUrl: node.self.apiUrl,
        voter: !config.nonVoter,
      },
      attempts,
      intervalMs: config.joinIntervalMs,
      client: node.network.rpcClient,
      learn: (members) => node.members.learnAll(members),
      log: (message) => logger.warn(message),
    });
    node.members.learnAll(members);
    logger.info(`joined the cluster through ${via} as a ${config.nonVoter ? 'non-voter' : 'voter'}`);
  } catch (error) {
    logger.error(error instanceof Error ? error.message : String(error));
    await node.close();
    process.exit(exitFailure);
  }
}

/**
 * Asks the cluster to remove this node before it stops (-raft-cluster-remove-shutdown): a leader removes
 * itself (and steps down once the change commits), a follower asks its leader. Best effort: a node that
 * cannot reach a leader stops anyway and says so.
 */
async function leaveCluster(node: DustNode, proxy: RpcLeaderProxy, logger: Logger): Promise<void> {
  const id = node.config.nodeId;
  const { voters, nonVoters } = node.membersNow();
  if (node.isRemoved || (!voters.includes(id) && !nonVoters.includes(id))) return;
  if (voters.length === 1 && voters[0] === id) {
    logger.warn('this node is the only voter of its cluster: it stays a member');
    return;
  }
  try {
    const soft = node.loop.softState();
    if (soft.role === 'leader') {
      await node.removeMember(id);
    } else {
      const leader = leaderHintOf(node, soft.leaderId);
      if (leader.address === undefined) throw new Error('no leader is known');
      await proxy.remove(id, leader, {
        timeoutMs: shutdownLeaveMs,
        retries: 0,
        signal: AbortSignal.timeout(shutdownLeaveMs),
      });
    }
    logger.info('this node removed itself from the cluster before shutting down');
  } catch (error) {
    logger.warn(
      `this node could not remove itself from the cluster: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function stop(
  apiClosed: Promise<void>,
  node: DustNode,
  logger: Logger,
  options: { readonly stepdownFirst: boolean; readonly leaveCluster: (() => Promise<void>) | undefined },
): Promise<void> {
  try {
    await apiClosed;
    await options.leaveCluster?.();
    if (
      options.stepdownFirst &&
      node.loop.softState().role === 'leader' &&
      node.raw.status().configuration.voters.length > 1
    ) {
      await node.stepdown(undefined, true, shutdownStepdownMs).then(
        () => logger.info('leadership handed to another voter before shutting down'),
        (error: unknown) =>
          logger.warn(
            `leadership was not handed over: ${error instanceof Error ? error.message : String(error)}`,
          ),
      );
    }
    await node.close();
    logger.info('shutdown complete');
    process.exit(0);
  } catch (error) {
    logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(exitFailure);
  }
}

function localDatabase(node: DustNode): ConstructorParameters<typeof ReplicatedDataStore>[1] {
  return {
    read: (statements, options) => node.reads.query(statements, options),
    isReadOnly: (statement) => node.database.isReadOnly(statement),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`dustd: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(exitFailure);
});
