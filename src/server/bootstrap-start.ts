// How a node started with -bootstrap-expect opens: as itself when it already has state (a restart), as
// the founder of a new cluster, or as a new node that joins one. The decision is made before the node
// opens, with a temporary listener on the Raft address that records the other nodes' notices (see
// ../cluster/bootstrap.ts); the listener is closed before the node binds the same address.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

import { decideBootstrap, NoticeRegistry, type BootstrapNotice } from '../cluster/bootstrap.js';
import { BootstrapListener, bootstrapRpcClient, rpcBootstrapPeers } from '../cluster/bootstrap-listener.js';
import { formatHostPort, type NodeConfig } from './config.js';
import { DataDirectoryLock } from './data-dir-lock.js';
import type { Logger } from './logger.js';
import { forgetUnjoinedStart, startStateOf } from './start-state.js';

/** How the node should open, and how many join rounds it has left if it joins. */
export interface BootstrapStart {
  /** Open as a new node waiting to be added (true), or as the founder of a one-voter cluster (false). */
  readonly joining: boolean;
  readonly joinAttempts: number;
}

// A probe or notice to a node that is not up yet must fail fast: a round calls every target in parallel
// and lasts as long as its slowest call.
const callTimeoutMsMax = 2_000;
const jitterSteps = 1_000_000;

export async function bootstrapStart(config: NodeConfig, logger: Logger): Promise<BootstrapStart> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  // The directory is held while the rounds run; it is released just before the node takes it again.
  const lock = DataDirectoryLock.acquire(config.dataDir);
  try {
    const warnings = { warn: (message: string) => logger.warn(message) };
    const state = await startStateOf(config.dataDir, warnings);
    if (state === 'member') {
      logger.info('this node has state of its own: -bootstrap-expect is ignored');
      return { joining: true, joinAttempts: config.joinAttempts };
    }
    const startedMs = performance.now();
    const decision = await runRounds(config, logger);
    if (decision.kind === 'join') {
      logger.info(`a cluster member answers at ${decision.via}: joining the cluster`);
      const remainingMs = config.bootstrapExpectTimeoutMs - (performance.now() - startedMs);
      return {
        joining: true,
        joinAttempts: Math.max(1, Math.ceil(remainingMs / config.joinIntervalMs)),
      };
    }
    logger.info(
      `heard from ${decision.voters.length} voters (${decision.voters.join(', ')}) and this node's id is ` +
        'the smallest: founding the cluster; the others join it',
    );
    if (state === 'unjoined') await forgetUnjoinedStart(config.dataDir, warnings);
    return { joining: false, joinAttempts: config.joinAttempts };
  } finally {
    lock.release();
  }
}

async function runRounds(config: NodeConfig, logger: Logger): ReturnType<typeof decideBootstrap> {
  const registry = new NoticeRegistry();
  const listener = await BootstrapListener.open(formatHostPort(config.raftAddr), registry, {
    warn: (message) => logger.warn(message),
  });
  const callTimeoutMs = Math.min(callTimeoutMsMax, config.joinIntervalMs);
  const client = bootstrapRpcClient(callTimeoutMs);
  try {
    const bound = listener.address();
    const self: BootstrapNotice = {
      id: config.nodeId,
      raftAddress:
        config.raftAdvertisedAddr.port === 0
          ? formatHostPort({ host: config.raftAdvertisedAddr.host, port: bound.port })
          : formatHostPort(config.raftAdvertisedAddr),
      apiUrl: `http://${formatHostPort(config.httpAdvertisedAddr)}`,
      voter: true,
    };
    logger.info(
      `waiting for ${config.bootstrapExpect} voters to form a cluster (-bootstrap-expect), asking ` +
        `${config.joinTargets.join(', ')}; listening on ${formatHostPort(bound)}`,
    );
    return await decideBootstrap({
      self,
      targets: config.joinTargets,
      expect: config.bootstrapExpect,
      timeoutMs: config.bootstrapExpectTimeoutMs,
      intervalMs: config.joinIntervalMs,
      registry,
      peers: rpcBootstrapPeers(client, callTimeoutMs),
      clock: {
        now: () => performance.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      random: () => randomInt(jitterSteps) / jitterSteps,
      log: (message) => logger.info(message),
    });
  } finally {
    await client.close();
    await listener.close();
  }
}
