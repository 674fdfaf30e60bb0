// Whether a data directory already belongs to a cluster member, read before the node opens: automatic
// cluster formation (-bootstrap-expect) is for nodes that have never been members, and a member that
// restarts with the same command line must come back as itself instead of forming anything.
import fs from 'node:fs';
import path from 'node:path';

import { DurableLog, type LogWarningSink, SnapshotStore } from '../log/index.js';
import { decodeConfState } from '../log/raft-storage.js';

/**
 * - `member`: the directory holds a configuration or log entries; the node starts from them.
 * - `unjoined`: the node opened once to join a cluster but was never added (an empty configuration and
 *   no log entries); it is as good as new.
 * - `new`: nothing was ever stored here.
 */
export type StartState = 'member' | 'unjoined' | 'new';

// The layout DustNode uses inside the data directory.
function snapshotDirectory(dataDir: string): string {
  return path.join(dataDir, 'raft', 'snapshots');
}

function logDirectory(dataDir: string): string {
  return path.join(dataDir, 'raft', 'log');
}

function holdsFiles(directory: string): boolean {
  try {
    return fs.readdirSync(directory).length > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Reads what `dataDir` holds. The caller holds the directory's lock. */
export async function startStateOf(dataDir: string, warnings: LogWarningSink): Promise<StartState> {
  const latest = holdsFiles(snapshotDirectory(dataDir))
    ? (await SnapshotStore.open(snapshotDirectory(dataDir), { warnings })).latest()
    : undefined;
  if (latest !== undefined) {
    const { voters, learners } = decodeConfState(latest.meta.metadata);
    if (voters.length > 0 || learners.length > 0) return 'member';
  }
  const nothingStored = latest === undefined ? 'new' : 'unjoined';
  if (!holdsFiles(logDirectory(dataDir))) return nothingStored;
  // Only a joining node has an empty configuration. Once a leader reached it, its log holds entries or
  // at least a term; from then on it is left to its own start, which joins again if it must. (A log
  // with entries but no snapshot is a damaged directory: the node's own start reports that.)
  const log = await DurableLog.open(logDirectory(dataDir), { warnings });
  try {
    return log.lastIndex() > 0 || log.hardState().term > 0 ? 'member' : nothingStored;
  } finally {
    await log.close();
  }
}

/**
 * Removes the empty start record of an `unjoined` node, so that the node can found a cluster instead:
 * the record holds no data and no member, only the empty configuration written when the node first
 * opened to join.
 */
export async function forgetUnjoinedStart(dataDir: string, warnings: LogWarningSink): Promise<void> {
  const state = await startStateOf(dataDir, warnings);
  if (state !== 'unjoined') {
    throw new Error(
      `the data directory ${dataDir} is ${state}, not unjoined; its start record is left in place`,
    );
  }
  const snapshots = await SnapshotStore.open(snapshotDirectory(dataDir), { warnings });
  const all = snapshots.list();
  for (const stored of all) {
    const { voters, learners } = decodeConfState(stored.meta.metadata);
    if (stored.meta.index !== 0 || stored.dataBytes !== 0 || voters.length > 0 || learners.length > 0) {
      throw new Error(
        `${stored.path} is not the empty start record of a node that never joined; it is left in place`,
      );
    }
  }
  for (const stored of all) fs.rmSync(stored.path);
}
