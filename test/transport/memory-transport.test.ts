import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TransportUsageError } from '../../src/transport/errors.js';
import { MemoryNetwork } from '../../src/transport/memory-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { heartbeat } from './messages.js';
import { Recorder, transportConformance } from './transport-conformance.js';

transportConformance('MemoryTransport', (ids, handlers) => {
  const network = new MemoryNetwork();
  const transports = new Map<string, Transport>();
  for (const id of ids) transports.set(id, network.attach(id, `mem:${id}`, handlers(id)));
  for (const [id, transport] of transports) {
    for (const peer of ids) if (peer !== id) transport.setPeer(peer, `mem:${peer}`);
  }
  return Promise.resolve({
    transports,
    deadAddress: 'mem:nobody',
    close: async () => {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
    },
  });
});

function threeNodes(options?: { linkMessagesMax?: number }): {
  network: MemoryNetwork;
  transports: Map<string, Transport>;
  recorders: Map<string, Recorder>;
} {
  const network = new MemoryNetwork(options);
  const recorders = new Map(['a', 'b', 'c'].map((id) => [id, new Recorder(id)]));
  const transports = new Map<string, Transport>();
  for (const [id, recorder] of recorders) transports.set(id, network.attach(id, `mem:${id}`, recorder));
  for (const [id, transport] of transports) {
    for (const peer of recorders.keys()) if (peer !== id) transport.setPeer(peer, `mem:${peer}`);
  }
  return { network, transports, recorders };
}

describe('MemoryNetwork switches', () => {
  it('a black-holed cut drops silently, a refusing cut reports, and heal restores both', async () => {
    const { network, transports, recorders } = threeNodes();
    const a = recorders.get('a')!;
    network.cut('a', 'b');
    network.cut('a', 'c', 'refuse');
    transports.get('a')!.send([heartbeat('a', 'b', 1), heartbeat('a', 'c', 2)]);
    transports.get('b')!.send([heartbeat('b', 'a', 3)]);
    await network.settle();
    await a.waitFor('c reported', () => a.unreachable.includes('c'));
    assert.deepEqual(a.unreachable, ['c']);
    assert.equal(recorders.get('b')!.messages.length, 0);
    assert.equal(recorders.get('c')!.messages.length, 0);
    assert.equal(a.messages.length, 0);
    network.heal();
    transports.get('a')!.send([heartbeat('a', 'b', 4)]);
    await network.settle();
    assert.equal(recorders.get('b')!.messages.length, 1);
    assert.deepEqual(network.stats(), { delivered: 1, dropped: 3 });
  });

  it('a one-way cut stops one direction only', async () => {
    const { network, transports, recorders } = threeNodes();
    network.cutOneWay('a', 'b');
    transports.get('a')!.send([heartbeat('a', 'b', 1)]);
    transports.get('b')!.send([heartbeat('b', 'a', 2)]);
    await network.settle();
    assert.equal(recorders.get('b')!.messages.length, 0);
    assert.equal(recorders.get('a')!.messages.length, 1);
  });

  it('isolate cuts a node off from everyone; a cut made while messages fly loses them', async () => {
    const { network, transports, recorders } = threeNodes();
    transports.get('b')!.send([heartbeat('b', 'a', 1), heartbeat('b', 'c', 1)]);
    network.isolate('a');
    transports.get('a')!.send([heartbeat('a', 'b', 2), heartbeat('a', 'c', 2)]);
    await network.settle();
    assert.equal(recorders.get('a')!.messages.length, 0);
    assert.equal(recorders.get('c')!.messages.length, 1);
    assert.equal(recorders.get('b')!.messages.length, 0);
  });

  it('a drop rule drops the messages it selects', async () => {
    const { network, transports, recorders } = threeNodes();
    network.setDropRule((message) => message.type === 'heartbeat' && message.round % 2 === 0);
    transports.get('a')!.send([1, 2, 3, 4].map((round) => heartbeat('a', 'b', round)));
    await network.settle();
    assert.deepEqual(
      recorders.get('b')!.messages.map((message) => (message.type === 'heartbeat' ? message.round : -1)),
      [1, 3],
    );
  });

  it('bounds each link and reports the overflow', async () => {
    const { network, transports, recorders } = threeNodes({ linkMessagesMax: 5 });
    transports.get('a')!.send([1, 2, 3, 4, 5, 6, 7].map((round) => heartbeat('a', 'b', round)));
    await network.settle();
    assert.equal(recorders.get('b')!.messages.length, 5);
    await recorders.get('a')!.waitFor('b reported', () => recorders.get('a')!.unreachable.includes('b'));
  });

  it('does not share message objects between nodes', async () => {
    const { network, transports, recorders } = threeNodes();
    const sent = heartbeat('a', 'b', 1);
    transports.get('a')!.send([sent]);
    await network.settle();
    assert.notEqual(recorders.get('b')!.messages[0], sent);
    assert.deepEqual(recorders.get('b')!.messages[0], sent);
  });

  it('refuses two open transports at one address', () => {
    const network = new MemoryNetwork();
    network.attach('a', 'mem:x', new Recorder('a'));
    assert.throws(() => network.attach('b', 'mem:x', new Recorder('b')), TransportUsageError);
  });

  it('does not deliver to the wrong node at an address', async () => {
    const { network, transports, recorders } = threeNodes();
    transports.get('a')!.setPeer('b', 'mem:c');
    transports.get('a')!.send([heartbeat('a', 'b', 1)]);
    await network.settle();
    await recorders.get('a')!.waitFor('b reported', () => recorders.get('a')!.unreachable.includes('b'));
    assert.equal(recorders.get('c')!.messages.length, 0);
  });
});
