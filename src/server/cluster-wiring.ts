// The node as the cluster service and the HTTP layer's membership endpoints see it: who leads, where
// members are, and the membership changes only a leader can make. A request that needs the leader on a
// follower fails with NotLeaderError carrying the leader's addresses, so that the HTTP layer can forward
// it or answer 301.
import type { ClusterNode, NodeMeta } from '../cluster/service.js';
import {
  type BackupStore,
  type DataStore,
  type LeaderHint,
  LeaderNotFoundError,
  type MembershipStore,
  NotLeaderError,
  StoreError,
} from '../http/store.js';
import { MembershipError, type DustNode } from './node.js';
import { LoopTimeoutError, NotLeaderError as LoopNotLeaderError, ProposalRefusedError } from './raft-loop.js';

/** Where the leader `leaderId` can be reached from this node. */
export function leaderHintOf(node: DustNode, leaderId: string): LeaderHint {
  const addresses = leaderId === '' ? undefined : node.addressesOf(leaderId);
  if (addresses === undefined) return {};
  return { apiUrl: addresses.apiUrl, address: node.network.dialAddress(leaderId, addresses) };
}

/** A membership failure as the client reads it. */
function membershipFailure(node: DustNode, error: unknown): Error {
  if (error instanceof LoopNotLeaderError) {
    if (error.leaderId === '') return new LeaderNotFoundError();
    return new NotLeaderError(leaderHintOf(node, error.leaderId));
  }
  if (error instanceof MembershipError || error instanceof ProposalRefusedError) {
    return new StoreError('failed', error.message, { cause: error });
  }
  if (error instanceof LoopTimeoutError) return new StoreError('timeout', error.message, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

function requireLeader(node: DustNode): void {
  const soft = node.loop.softState();
  if (soft.role !== 'leader') throw membershipFailure(node, new LoopNotLeaderError(soft.leaderId));
}

export function membershipOf(node: DustNode): MembershipStore {
  return {
    remove: async (nodeId) => {
      requireLeader(node);
      try {
        await node.removeMember(nodeId);
      } catch (error) {
        throw membershipFailure(node, error);
      }
    },
    stepdown: async ({ wait, targetId, timeoutMs }) => {
      requireLeader(node);
      try {
        await node.stepdown(targetId, wait, timeoutMs);
      } catch (error) {
        throw membershipFailure(node, error);
      }
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
    dialAddressOf: (id) => {
      const addresses = node.addressesOf(id);
      return addresses === undefined ? undefined : node.network.dialAddress(id, addresses);
    },
    memberTable: () => node.members.toTable(),
    addMember: async (id, addresses, voter) => {
      try {
        await node.addMember(id, addresses, voter);
      } catch (error) {
        throw membershipFailure(node, error);
      }
    },
    removeMember: async (id) => {
      try {
        await node.removeMember(id);
      } catch (error) {
        throw membershipFailure(node, error);
      }
    },
    stepdown: async (targetId, wait, timeoutMs) => {
      try {
        await node.stepdown(targetId, wait, timeoutMs);
      } catch (error) {
        throw membershipFailure(node, error);
      }
    },
  };
}
