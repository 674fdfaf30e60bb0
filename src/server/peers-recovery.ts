// Recovery of a cluster that has lost its quorum for good, with rqlite's peers.json procedure: the operator
// stops every node, writes the membership the cluster should have into DATA_DIR/raft/peers.json on each
// surviving node, and starts them. At start such a node takes everything in its log as committed (some of
// it may never have been: the operator accepts that by recovering), writes a snapshot of the result that
// holds the new membership, drops the log, and renames the file to peers.info so that recovery runs once.
import fs from 'node:fs';
import path from 'node:path';

import type { MemberAddresses, MemberDirectory } from '../cluster/members.js';
import { decodeCommand } from '../command/codec.js';
import type { DurableLog, SnapshotStore } from '../log/index.js';
import { decodeConfState, DiskRaftStorage } from '../log/raft-storage.js';
import type { ConfState } from '../raft/index.js';
import { CommandFailedError, SqliteDatabase } from '../sqlite/index.js';
import type { Logger } from './logger.js';
import { describeSnapshot, membersOfSnapshot } from './snapshot-metadata.js';

/** One member as peers.json lists it (rqlite's format). */
export interface PeerRecord {
  readonly id: string;
  readonly raftAddress: string;
  readonly voter: boolean;
}

/** A peers.json that cannot be used; the message names the file and what is wrong with it. */
export class PeersFileError extends Error {
  override readonly name = 'PeersFileError';
}

export const peersFileName = 'peers.json';
export const peersDoneFileName = 'peers.info';
// Entries are read back from the log in slices of this many bytes, so recovery holds one slice at a time.
const replaySliceBytes = 16 * 1024 * 1024;

/** The membership in `file`, or undefined when there is no such file. */
export function readPeersFile(file: string): PeerRecord[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PeersFileError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PeersFileError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const example = '[{"id": "1", "address": "10.0.0.1:4002", "non_voter": false}, ...]';
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new PeersFileError(`${file} must be a non-empty JSON array of members, e.g. ${example}`);
  }
  const peers: PeerRecord[] = [];
  for (const [position, item] of parsed.entries()) {
    const where = `${file}: member ${position + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new PeersFileError(`${where} is not an object like ${example}`);
    }
    const { id, address, non_voter: nonVoter } = item as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw new PeersFileError(`${where} has no "id" string`);
    if (typeof address !== 'string' || !/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(address)) {
      throw new PeersFileError(`${where} (id ${id}) has no "address" of the form host:port`);
    }
    if (nonVoter !== undefined && typeof nonVoter !== 'boolean') {
      throw new PeersFileError(`${where} (id ${id}): "non_voter" must be true or false`);
    }
    if (peers.some((peer) => peer.id === id)) throw new PeersFileError(`${file} lists id ${id} twice`);
    peers.push({ id, raftAddress: address, voter: nonVoter !== true });
  }
  if (!peers.some((peer) => peer.voter)) throw new PeersFileError(`${file} lists no voter`);
  return peers;
}

/**
 * Runs the recovery when DATA_DIR/raft/peers.json exists; does nothing otherwise. Returns whether it ran.
 * Must run before the node reads its snapshot and log.
 */
export async function recoverFromPeersFile(options: {
  readonly raftDirectory: string;
  readonly log: DurableLog;
  readonly snapshots: SnapshotStore;
  /** This node's member addresses: peers.json names Raft addresses only, the API addresses come from here. */
  readonly members: MemberDirectory;
  readonly foreignKeys: boolean;
  readonly logger: Logger;
}): Promise<boolean> {
  const { raftDirectory, log, snapshots, members: known, logger } = options;
  const file = path.join(raftDirectory, peersFileName);
  const peers = readPeersFile(file);
  if (peers === undefined) return false;
  const stored = snapshots.latest();
  if (stored === undefined) {
    throw new PeersFileError(
      `${file} asks for a recovery, but this node has no state to recover (remove the file to start a new node)`,
    );
  }
  const snapshotConf = decodeConfState(stored.meta.metadata);
  const storage = new DiskRaftStorage(log, {
    index: stored.meta.index,
    term: stored.meta.term,
    confState: snapshotConf,
  });
  const lastIndex = log.lastIndex();
  const lastTerm = log.term(lastIndex);
  if (lastTerm === undefined) throw new PeersFileError(`the log has no term for its last entry ${lastIndex}`);

  // The database as of the last entry: the snapshot, then every entry after it.
  const database = new SqliteDatabase({ mode: 'memory', foreignKeys: options.foreignKeys });
  let image: Uint8Array;
  try {
    if (stored.dataBytes > 0) database.restore(await stored.readAll());
    for (let next = stored.meta.index + 1; next <= lastIndex;) {
      const slice = storage.entries(next, lastIndex + 1, replaySliceBytes);
      for (const entry of slice) {
        if (entry.type !== 'normal') continue;
        try {
          database.apply(decodeCommand(entry.data));
        } catch (error) {
          // A command that fails as a whole failed on every node that applied it; it changes nothing.
          if (!(error instanceof CommandFailedError)) throw error;
        }
      }
      next += slice.length;
    }
    image = database.snapshot();
  } finally {
    database.close();
  }

  const fromSnapshot = membersOfSnapshot(stored.meta.metadata);
  const members: Record<string, MemberAddresses> = {};
  for (const peer of peers) {
    // peers.json carries Raft addresses only; the API address is kept from what the node knew.
    const apiUrl = known.get(peer.id)?.apiUrl ?? fromSnapshot.get(peer.id)?.apiUrl ?? '';
    members[peer.id] = { raftAddress: peer.raftAddress, apiUrl };
    known.learn(peer.id, members[peer.id]!);
  }
  const confState: ConfState = {
    voters: peers.filter((peer) => peer.voter).map((peer) => peer.id),
    learners: peers.filter((peer) => !peer.voter).map((peer) => peer.id),
  };
  await snapshots.save(
    { index: lastIndex, term: lastTerm, metadata: describeSnapshot(confState, members) },
    image,
  );
  await log.compact(lastIndex, lastTerm);
  fs.renameSync(file, path.join(raftDirectory, peersDoneFileName));
  logger.warn(
    `recovered from ${file}: every entry up to ${lastIndex} is taken as committed, and the cluster is now ` +
      `voters [${confState.voters.join(', ')}]` +
      (confState.learners.length > 0 ? `, non-voters [${confState.learners.join(', ')}]` : '') +
      `; the file was renamed ${peersDoneFileName}`,
  );
  return true;
}
