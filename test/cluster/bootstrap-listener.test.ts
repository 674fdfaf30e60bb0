import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { type BootstrapNotice, NoticeRegistry } from '../../src/cluster/bootstrap.js';
import {
  BootstrapListener,
  bootstrapRpcClient,
  rpcBootstrapPeers,
} from '../../src/cluster/bootstrap-listener.js';
import { type ClusterNode, clusterMethods, ClusterService } from '../../src/cluster/service.js';
import type { DataStore } from '../../src/http/store.js';
import { formatAddress, Listener, RpcClient, RpcRemoteError, RpcServer } from '../../src/transport/index.js';

const callTimeoutMs = 1_000;
const client = bootstrapRpcClient(callTimeoutMs);
const peers = rpcBootstrapPeers(client, callTimeoutMs);
const closing: { close(): Promise<void> }[] = [client];
after(async () => {
  for (const item of closing.reverse()) await item.close();
});

const notice: BootstrapNotice = {
  id: '2',
  raftAddress: '127.0.0.1:4012',
  apiUrl: 'http://127.0.0.1:4011',
  voter: true,
};

async function waitingNode(): Promise<{
  address: string;
  registry: NoticeRegistry;
  listener: BootstrapListener;
}> {
  const registry = new NoticeRegistry();
  const listener = await BootstrapListener.open('127.0.0.1:0', registry, { warn: () => undefined });
  closing.push(listener);
  return { address: formatAddress(listener.address()), registry, listener };
}

/** A member of a running cluster, answering with the real cluster service. */
async function memberNode(): Promise<string> {
  const listener = await Listener.open('127.0.0.1:0');
  const server = new RpcServer(listener);
  const memberClient = new RpcClient();
  const node: ClusterNode = {
    store: {} as DataStore,
    meta: () => ({ id: '1', raftAddress: listener.addressText(), apiUrl: '', version: 'test' }),
    leaderId: () => '1',
    isLeader: () => true,
    dialAddressOf: () => undefined,
    memberTable: () => ({}),
    addMember: () => Promise.resolve(),
    removeMember: () => Promise.resolve(),
    load: () => Promise.reject(new Error('not used here')),
    stepdown: () => Promise.resolve(),
    learnRemoved: () => undefined,
  };
  new ClusterService(node, memberClient).register(server);
  closing.push(listener, server, memberClient);
  return listener.addressText();
}

describe('the listener of a node waiting to form a cluster', () => {
  it('records the notices it receives, by node id', async () => {
    const waiting = await waitingNode();
    await peers.notify(waiting.address, notice);
    await peers.notify(waiting.address, { ...notice, raftAddress: 'node-2:4012' });
    assert.deepEqual(waiting.registry.voterIds(), ['2']);
    assert.equal(waiting.registry.get('2')?.raftAddress, 'node-2:4012');
  });

  it('answers every other cluster method with "not a member yet", which a probe reads as waiting', async () => {
    const waiting = await waitingNode();
    assert.equal(await peers.probe(waiting.address), 'waiting');
    for (const method of [clusterMethods.join, clusterMethods.members, clusterMethods.execute]) {
      await assert.rejects(client.call(waiting.address, method, {}), (error: unknown) => {
        assert.ok(error instanceof RpcRemoteError);
        assert.equal(error.remoteCode, 'NOT_A_MEMBER_YET');
        assert.match(error.remoteMessage, /not a member of a cluster yet/);
        return true;
      });
    }
  });

  it('refuses a malformed notice and records nothing', async () => {
    const waiting = await waitingNode();
    await assert.rejects(
      client.call(waiting.address, clusterMethods.notify, { id: '', raftAddress: 'x:1' }),
      (error: unknown) => error instanceof RpcRemoteError && error.remoteCode === 'BOOTSTRAP_NOTICE',
    );
    assert.deepEqual(waiting.registry.voterIds(), []);
  });

  it('frees its address when closed, so the node can bind it', async () => {
    const waiting = await waitingNode();
    await waiting.listener.close();
    assert.equal(await peers.probe(waiting.address), 'silent');
    const rebound = await Listener.open(waiting.address);
    closing.push(rebound);
    assert.equal(rebound.addressText(), waiting.address);
  });
});

describe('probes and notices to a running member', () => {
  it('reads a member as a cluster to join, and a notice to it succeeds without effect', async () => {
    const address = await memberNode();
    assert.equal(await peers.probe(address), 'member');
    await peers.notify(address, notice);
  });

  it('reads a closed port as silent', async () => {
    const listener = await Listener.open('127.0.0.1:0');
    const address = listener.addressText();
    await listener.close();
    assert.equal(await peers.probe(address), 'silent');
    await assert.rejects(peers.notify(address, notice));
  });
});
