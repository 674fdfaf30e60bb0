// The proxy mesh between three plain loopback servers standing in for nodes: addressing, partitions, one-way
// cuts, isolation and healing.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { FaultMeshUsageError } from './errors.js';
import { connectTo, type RecordedSocket, RecordingServer, sleep, waitFor } from './loopback-peers.js';
import { ProxyMesh, type ProxyMeshOptions } from './network.js';
import { formatTcpAddress } from './tcp-proxy.js';

const quietMs = 250;
const nodeNames = ['a', 'b', 'c'] as const;
type NodeName = (typeof nodeNames)[number];

interface Cluster {
  readonly mesh: ProxyMesh;
  readonly servers: Readonly<Record<NodeName, RecordingServer>>;
  /** Opens a connection as `from` dialling `to` through the mesh; returns both ends. */
  readonly link: (from: NodeName, to: NodeName) => Promise<Link>;
}

interface Link {
  readonly dialer: RecordedSocket;
  readonly listener: RecordedSocket;
}

async function startCluster(t: TestContext, options: ProxyMeshOptions = {}): Promise<Cluster> {
  const servers = {
    a: await RecordingServer.start(),
    b: await RecordingServer.start(),
    c: await RecordingServer.start(),
  };
  // Node c's address is given after the mesh starts, as it would be for a node started after its proxies.
  const mesh = await ProxyMesh.start(
    [{ name: 'a', address: servers.a.address }, { name: 'b', address: servers.b.address }, { name: 'c' }],
    options,
  );
  mesh.setNodeAddress('c', servers.c.address);
  t.after(async () => {
    await mesh.close();
    for (const server of Object.values(servers)) await server.close();
  });
  const link: Cluster['link'] = async (from, to) => {
    const acceptedBefore = servers[to].accepted.length;
    const dialer = await connectTo(mesh.addressSeenBy(from, to));
    t.after(() => dialer.socket.destroy());
    await waitFor(
      `${to} to accept a connection from ${from}`,
      () => servers[to].accepted.length > acceptedBefore,
    );
    return { dialer, listener: servers[to].accepted[acceptedBefore]! };
  };
  return { mesh, servers, link };
}

test('gives each node its own address for each peer, and each leads to that peer', async (t) => {
  const { mesh, link } = await startCluster(t);
  const seenByA = mesh.peerAddressesSeenBy('a');
  assert.deepEqual([...seenByA.keys()].sort(), ['b', 'c']);
  const allAddresses = nodeNames.flatMap((node) =>
    [...mesh.peerAddressesSeenBy(node).values()].map(formatTcpAddress),
  );
  assert.equal(new Set(allAddresses).size, 6, 'every ordered pair needs its own proxy');
  for (const from of nodeNames) {
    for (const to of nodeNames) {
      if (from === to) continue;
      const { dialer, listener } = await link(from, to);
      dialer.socket.write(`${from}->${to}`);
      listener.socket.write(`${to}<-${from}`);
      await waitFor(
        'bytes both ways',
        () => listener.text() === `${from}->${to}` && dialer.text() === `${to}<-${from}`,
      );
    }
  }
});

test('a partition cuts links between groups, keeps links inside a group, and heals without loss', async (t) => {
  const { mesh, link } = await startCluster(t);
  const aToB = await link('a', 'b');
  const cToA = await link('c', 'a');
  const bToC = await link('b', 'c');

  mesh.partition(['a'], ['b', 'c']);
  aToB.dialer.socket.write('a asks b;');
  aToB.listener.socket.write('b answers a;');
  cToA.dialer.socket.write('c asks a;');
  bToC.dialer.socket.write('b asks c;');
  bToC.listener.socket.write('c answers b;');
  await waitFor(
    'traffic inside the majority',
    () => bToC.listener.text() === 'b asks c;' && bToC.dialer.text() === 'c answers b;',
  );
  await sleep(quietMs);
  assert.equal(aToB.listener.text(), '');
  assert.equal(aToB.dialer.text(), '');
  assert.equal(cToA.listener.text(), '');

  mesh.heal();
  await waitFor(
    'the held bytes',
    () => aToB.listener.text() === 'a asks b;' && aToB.dialer.text() === 'b answers a;',
  );
  await waitFor('the held bytes', () => cToA.listener.text() === 'c asks a;');
});

test('oneWay(from, to) holds what `from` sends to `to` on every connection, while `to` still reaches `from`', async (t) => {
  const { mesh, link } = await startCluster(t);
  const aToB = await link('a', 'b');
  const bToA = await link('b', 'a');

  mesh.oneWay('a', 'b');
  aToB.dialer.socket.write('a requests;');
  aToB.listener.socket.write('b responds;');
  bToA.dialer.socket.write('b requests;');
  bToA.listener.socket.write('a responds;');
  await waitFor(
    'b reaching a both ways',
    () => aToB.dialer.text() === 'b responds;' && bToA.listener.text() === 'b requests;',
  );
  await sleep(quietMs);
  assert.equal(aToB.listener.text(), '', "a's request must not reach b");
  assert.equal(bToA.dialer.text(), '', "a's response must not reach b");

  // New connections are still made, and the cut holds on them too.
  const later = await link('a', 'b');
  later.dialer.socket.write('a again;');
  await sleep(quietMs);
  assert.equal(later.listener.text(), '');

  mesh.heal();
  await waitFor(
    'the held bytes',
    () => aToB.listener.text() === 'a requests;' && bToA.dialer.text() === 'a responds;',
  );
  await waitFor('the held bytes on the later connection', () => later.listener.text() === 'a again;');
});

test('isolate in drop mode resets the isolated node’s connections and leaves the others', async (t) => {
  const { mesh, link } = await startCluster(t, { partitionMode: 'drop' });
  const aToB = await link('a', 'b');
  const cToA = await link('c', 'a');
  const bToC = await link('b', 'c');

  mesh.isolate('a');
  await waitFor(
    'the isolated node’s connections to be reset',
    () => aToB.dialer.closed && cToA.dialer.closed,
  );
  assert.equal(aToB.dialer.errorCode, 'ECONNRESET');
  bToC.dialer.socket.write('still here');
  await waitFor('the other link', () => bToC.listener.text() === 'still here');
  assert.equal(bToC.dialer.closed, false);

  mesh.heal();
  const again = await link('a', 'b');
  again.dialer.socket.write('back');
  await waitFor('a new connection after healing', () => again.listener.text() === 'back');
});

test('rejects unknown nodes and nodes named in two groups', async (t) => {
  const { mesh } = await startCluster(t);
  assert.throws(() => mesh.isolate('z'), FaultMeshUsageError);
  assert.throws(() => mesh.partition(['a', 'b'], ['b', 'c']), FaultMeshUsageError);
  assert.throws(() => mesh.proxy('a', 'a'), FaultMeshUsageError);
});
