import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';

import { joinCluster, JoinFailedError } from '../../src/cluster/join.js';
import type { MemberAddresses } from '../../src/cluster/members.js';
import { type ClusterNode, ClusterService, type JoinRequest } from '../../src/cluster/service.js';
import type { DataStore } from '../../src/http/store.js';
import { Listener, RpcClient, RpcServer } from '../../src/transport/index.js';

/** A member of a pretend cluster: the leader adds joiners, a follower knows where the leader is. */
interface PretendMember {
  readonly address: string;
  readonly joined: JoinRequest[];
  close(): Promise<void>;
}

const unusedStore = {} as DataStore;

async function pretendMember(options: {
  id: string;
  leader: () => { id: string; address: string } | undefined;
  members: Record<string, MemberAddresses>;
}): Promise<PretendMember> {
  const listener = await Listener.open('127.0.0.1:0');
  const server = new RpcServer(listener);
  const client = new RpcClient();
  const joined: JoinRequest[] = [];
  const node: ClusterNode = {
    store: unusedStore,
    meta: () => ({ id: options.id, raftAddress: listener.addressText(), apiUrl: '', version: 'test' }),
    leaderId: () => options.leader()?.id ?? '',
    isLeader: () => options.leader()?.id === options.id,
    dialAddressOf: (id) => (options.leader()?.id === id ? options.leader()?.address : undefined),
    memberTable: () => options.members,
    addMember: (id, addresses, voter) => {
      joined.push({ id, ...addresses, voter });
      options.members[id] = addresses;
      return Promise.resolve();
    },
    removeMember: () => Promise.resolve(),
    load: () => Promise.reject(new Error('not used here')),
    stepdown: () => Promise.resolve(),
    learnRemoved: () => undefined,
  };
  new ClusterService(node, client).register(server);
  return {
    address: listener.addressText(),
    joined,
    close: async () => {
      await client.close();
      await server.close();
      await listener.close();
    },
  };
}

const opened: { close(): Promise<void> }[] = [];
after(async () => {
  for (const item of opened) await item.close();
});

const joiner: JoinRequest = {
  id: 'n9',
  raftAddress: '127.0.0.1:1',
  apiUrl: 'http://127.0.0.1:2',
  voter: true,
};

describe('joining a cluster', () => {
  it('through a follower reaches the leader, and learns the members before it is added', async () => {
    const leaderMembers = { n1: { raftAddress: 'leader-raft', apiUrl: 'http://leader' } };
    let leaderAddress = '';
    const leader = await pretendMember({
      id: 'n1',
      leader: () => ({ id: 'n1', address: leaderAddress }),
      members: leaderMembers,
    });
    leaderAddress = leader.address;
    const follower = await pretendMember({
      id: 'n2',
      leader: () => ({ id: 'n1', address: leaderAddress }),
      members: { ...leaderMembers },
    });
    const client = new RpcClient();
    opened.push(leader, follower, client);
    const learned: string[][] = [];
    const result = await joinCluster({
      targets: [follower.address],
      request: { ...joiner, voter: false },
      attempts: 1,
      intervalMs: 1,
      client,
      learn: (members) => learned.push([...members.keys()]),
      log: () => undefined,
    });
    assert.deepEqual(leader.joined, [{ ...joiner, voter: false }]);
    assert.equal(follower.joined.length, 0, 'the follower passed the join on');
    assert.deepEqual(learned, [['n1']], 'the members were learned before the join');
    assert.deepEqual([...result.members.keys()].sort(), ['n1', 'n9']);
  });

  it('accepts an HTTP API address and finds the Raft address in its /status', async () => {
    let leaderAddress = '';
    const leader = await pretendMember({
      id: 'n1',
      leader: () => ({ id: 'n1', address: leaderAddress }),
      members: {},
    });
    leaderAddress = leader.address;
    const api = http.createServer((request, response) => {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify(request.url === '/status' ? { store: { addr: leaderAddress } } : {}));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const client = new RpcClient();
    opened.push(leader, client, { close: () => new Promise<void>((resolve) => api.close(() => resolve())) });
    const port = (api.address() as AddressInfo).port;
    const result = await joinCluster({
      targets: [`http://127.0.0.1:${port}/`],
      request: joiner,
      attempts: 1,
      intervalMs: 1,
      client,
      learn: () => undefined,
      log: () => undefined,
    });
    assert.equal(result.via, `http://127.0.0.1:${port}/`);
    assert.deepEqual(leader.joined, [joiner]);
  });

  it('gives up after the attempts it was allowed, naming each target and why', async () => {
    const client = new RpcClient({ connectTimeoutMs: 500 });
    opened.push(client);
    const logged: string[] = [];
    const started = Date.now();
    await assert.rejects(
      joinCluster({
        targets: ['127.0.0.1:9', joiner.raftAddress],
        request: joiner,
        attempts: 3,
        intervalMs: 20,
        client,
        learn: () => undefined,
        log: (message) => logged.push(message),
        callTimeoutMs: 500,
      }),
      (error: unknown) =>
        error instanceof JoinFailedError &&
        error.message.includes('after 3 attempts') &&
        error.message.includes('127.0.0.1:9:') &&
        error.message.includes('this node itself'),
    );
    assert.equal(logged.length, 3, 'one failure logged per attempt at the reachable-looking target');
    assert.ok(Date.now() - started < 10_000);
  });
});
