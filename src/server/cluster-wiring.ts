// The node as the cluster service and the HTTP layer's membership endpoints see it: who leads, where
// members are, and the membership changes only a leader can make. A request that needs the leader on a
// follower fails with NotLeaderError carrying the leader's addresses, so that the HTTP layer can forward
// it or answer 301.
import type { ClusterNode, NodeMeta } from '../cluster/service.js';
import {
  type BackupStore,
  type DataStore,
  type LeaderHint,
  type MembershipStore,
  StoreError,
} from '../http/store.js';
import { MembershipError, type DustNode } from './node.js';
import { requireLeaderRole, storeErrorOf } from './loop-errors.js';

/** Where the leader `leaderId` can be reached from this node. */
export function leaderHintOf(node: DustNode, leaderId: string): LeaderHint {
  const addresses = leaderId === '' ? undefined : node.addressesOf(leaderId);
  const address = node.dialAddressOf(leaderId);
  if (addresses === undefined || address === undefined) return {};
  return { apiUrl: addresses.apiUrl, address };
}

/** A membership failure as the client reads it. */
function membershipFailure(node: DustNode, error: unknown): Error {
  if (error instanceof MembershipError) return new StoreError('failed', error.message, { cause: error });
  return storeErrorOf(error, (leaderId) => leaderHintOf(node, leaderId));
}

function requireLeader(node: DustNode): void {
  requireLeaderRole(node.loop.softState(), (leaderId) => leaderHintOf(node, leaderId));
}

/** Runs a membership change, reporting its failure as the client reads it. */
async function membershipChange(node: DustNode, change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (error) {
    throw membershipFailure(node, error);
  }
}

export function membershipOf(node: DustNode): MembershipStore {
  return {
    remove: async (nodeId) => {
      requireLeader(node);
      await membershipChange(node, () => node.removeMember(nodeId));
    },
    stepdown: async ({ wait, targetId, timeoutMs }) => {
      requireLeader(node);
      await membershipChange(node, () => node.stepdown(targetId, wait, timeoutMs));
    },
  };
}

export function clusterNodeOf(
  node: DustNode,
  store: DataStore,
  backup: BackupStore,
  version: string,
): ClusterNode {
  return {
    store,
    load: (image, signal) => backup.load(image, { dbTimeoutMs: 0, signal }),
    meta: (): NodeMeta => ({
      id: node.config.nodeId,
      raftAddress: node.self.raftAddress,
      apiUrl: node.self.apiUrl,
      version,
    }),
    leaderId: () => node.loop.softState().leaderId,
    isLeader: () => node.loop.softState().role === 'leader',
    dialAddressOf: (id) => node.dialAddressOf(id),
    memberTable: () => node.members.toTable(),
    addMember: (id, addresses, voter) => membershipChange(node, () => node.addMember(id, addresses, voter)),
    removeMember: (id) => membershipChange(node, () => node.removeMember(id)),
    stepdown: (targetId, wait, timeoutMs) =>
      membershipChange(node, () => node.stepdown(targetId, wait, timeoutMs)),
    learnRemoved: (leaderId) => node.learnRemoved(leaderId),
  };
}
