import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  type BootstrapClock,
  type BootstrapDecision,
  type BootstrapNotice,
  type BootstrapPeers,
  BootstrapTimeoutError,
  compareNodeIds,
  decideBootstrap,
  NoticeRegistry,
  parseNotice,
  type ProbeAnswer,
} from '../../src/cluster/bootstrap.js';

/** A clock whose sleeps return at once and move time forward by the time slept. */
function instantClock(): BootstrapClock & { slept: number[] } {
  let nowMs = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => nowMs,
    sleep: (ms) => {
      slept.push(ms);
      nowMs += ms;
      return Promise.resolve();
    },
  };
}

const realClock: BootstrapClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

function notice(id: string, voter = true): BootstrapNotice {
  return { id, raftAddress: `10.0.0.${id}:4002`, apiUrl: `http://10.0.0.${id}:4001`, voter };
}

/**
 * Nodes that reach each other by name: a notice lands in the target's registry, and a probe answers
 * 'member' once the target has decided (it then runs as a founder or a joiner), 'waiting' while it runs
 * rounds, and 'silent' before it starts. `aliases` lets one node be listed under several names.
 */
class PretendNetwork {
  readonly registries = new Map<string, NoticeRegistry>();
  readonly phase = new Map<string, 'waiting' | 'member'>();
  readonly notified: string[] = [];

  constructor(private readonly aliases: ReadonlyMap<string, string> = new Map()) {}

  private resolve(target: string): string {
    return this.aliases.get(target) ?? target;
  }

  peersOf(): BootstrapPeers {
    return {
      probe: (target) => {
        const phase = this.phase.get(this.resolve(target));
        return Promise.resolve<ProbeAnswer>(phase ?? 'silent');
      },
      notify: (target, sent) => {
        const name = this.resolve(target);
        const registry = this.registries.get(name);
        if (registry === undefined || this.phase.get(name) === undefined) {
          return Promise.reject(new Error(`${target} is not listening`));
        }
        this.notified.push(`${sent.id}->${name}`);
        // A member accepts a notice and ignores it, as the cluster service does.
        if (this.phase.get(name) === 'waiting') registry.record(sent);
        return Promise.resolve();
      },
    };
  }

  async run(
    id: string,
    options: { targets: readonly string[]; expect: number; intervalMs: number; timeoutMs?: number },
  ): Promise<BootstrapDecision> {
    const registry = new NoticeRegistry();
    this.registries.set(id, registry);
    this.phase.set(id, 'waiting');
    const decision = await decideBootstrap({
      self: notice(id),
      targets: options.targets,
      expect: options.expect,
      timeoutMs: options.timeoutMs ?? 10_000,
      intervalMs: options.intervalMs,
      registry,
      peers: this.peersOf(),
      clock: realClock,
      random: Math.random,
      log: () => undefined,
    });
    this.phase.set(id, 'member');
    return decision;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('forming a cluster from identical command lines', () => {
  it('lets exactly one node, the one with the smallest id, found the cluster; the others join it', async () => {
    const network = new PretendNetwork();
    const targets = ['1', '2', '3'];
    const decisions = await Promise.all(
      ['3', '1', '2'].map((id) => network.run(id, { targets, expect: 3, intervalMs: 10 })),
    );
    const byId = new Map(['3', '1', '2'].map((id, index) => [id, decisions[index]]));
    assert.deepEqual(byId.get('1'), { kind: 'found', voters: ['1', '2', '3'] });
    assert.equal(byId.get('2')?.kind, 'join');
    assert.equal(byId.get('3')?.kind, 'join');
  });

  it('waits for a founder that starts late, and joins it once it runs', async () => {
    const network = new PretendNetwork();
    const targets = ['1', '2', '3'];
    const early = ['2', '3'].map((id) => network.run(id, { targets, expect: 3, intervalMs: 10 }));
    await delay(150);
    // Both waited through several rounds without founding anything: they are not the smallest id.
    assert.equal(network.phase.get('2'), 'waiting');
    assert.equal(network.phase.get('3'), 'waiting');
    const founder = await network.run('1', { targets, expect: 3, intervalMs: 10 });
    assert.equal(founder.kind, 'found');
    for (const decision of await Promise.all(early)) assert.deepEqual(decision, { kind: 'join', via: '1' });
  });

  it('orders ids by value, so node 2 founds before node 10', async () => {
    const network = new PretendNetwork();
    const targets = ['10', '2', '33'];
    const decisions = await Promise.all(
      targets.map((id) => network.run(id, { targets, expect: 3, intervalMs: 10 })),
    );
    assert.deepEqual(
      decisions.map((decision) => decision.kind),
      ['join', 'found', 'join'],
    );
  });

  it('joins a cluster that already runs instead of founding one, before notifying anyone', async () => {
    const network = new PretendNetwork();
    for (const id of ['1', '2', '3']) {
      network.registries.set(id, new NoticeRegistry());
      network.phase.set(id, 'member');
    }
    // A fourth node started later with the same flags: node 3 is the first member it finds.
    network.phase.set('1', 'waiting');
    const decision = await network.run('4', { targets: ['1', '2', '3'], expect: 3, intervalMs: 10 });
    assert.deepEqual(decision, { kind: 'join', via: '2' });
    assert.deepEqual(network.notified, []);
  });

  it('counts a node listed under two addresses once (nodes are told apart by id, not address)', async () => {
    // "localhost:4002" and "127.0.0.1:4002" are the same node 2.
    const network = new PretendNetwork(
      new Map([
        ['localhost:4002', '2'],
        ['127.0.0.1:4002', '2'],
      ]),
    );
    const second = new NoticeRegistry();
    second.record(notice('2'));
    network.registries.set('2', second);
    network.phase.set('2', 'waiting');
    const registry = new NoticeRegistry();
    network.registries.set('1', registry);
    network.phase.set('1', 'waiting');
    // Node 2 reached node 1 under both of node 1's names too.
    registry.record(notice('2'));
    registry.record({ ...notice('2'), raftAddress: 'localhost:4002' });
    await assert.rejects(
      decideBootstrap({
        self: notice('1'),
        targets: ['localhost:4002', '127.0.0.1:4002'],
        expect: 3,
        timeoutMs: 1_000,
        intervalMs: 100,
        registry,
        peers: network.peersOf(),
        clock: instantClock(),
        random: () => 0.5,
        log: () => undefined,
      }),
      (error: unknown) => {
        assert.ok(error instanceof BootstrapTimeoutError);
        assert.deepEqual(error.heard, ['1', '2']);
        return true;
      },
    );
    assert.ok(network.notified.filter((sent) => sent === '1->2').length >= 2, 'notified under both names');
    assert.deepEqual(second.voterIds(), ['1', '2']);
  });

  it('gives up after the timeout and says how many of the expected voters it heard from', async () => {
    const clock = instantClock();
    const registry = new NoticeRegistry();
    const logged: string[] = [];
    let probes = 0;
    const started = clock.now();
    await assert.rejects(
      decideBootstrap({
        self: notice('5'),
        targets: ['a:1', 'b:1', 'c:1'],
        expect: 3,
        timeoutMs: 2_000,
        intervalMs: 300,
        registry,
        peers: {
          probe: () => {
            probes++;
            return Promise.resolve('silent');
          },
          notify: (target) => {
            // Only node 6 at b:1 is up; it notifies back.
            if (target !== 'b:1') return Promise.reject(new Error('connection refused'));
            registry.record(notice('6'));
            return Promise.resolve();
          },
        },
        clock,
        random: () => 0.999,
        log: (message) => logged.push(message),
      }),
      (error: unknown) => {
        assert.ok(error instanceof BootstrapTimeoutError);
        assert.equal(error.code, 'BOOTSTRAP_TIMEOUT');
        assert.deepEqual(error.heard, ['5', '6']);
        assert.match(error.message, /heard from 2 of the 3 expected voters \(node ids: 5, 6\)/);
        assert.ok(!error.message.includes('\n'), 'one line');
        return true;
      },
    );
    // Rounds were spaced by the jittered interval and ended at the deadline, not before it.
    assert.ok(clock.now() - started >= 2_000, `stopped at ${clock.now() - started} ms`);
    assert.ok(clock.slept.every((ms) => ms <= 300 * 1.25 + 1e-9 && ms > 0));
    assert.ok(probes >= 3 * 6 && probes <= 3 * 10, `${probes} probes`);
    assert.deepEqual(logged, ['heard from 2 of 3 expected voters (node ids: 5, 6)']);
  });

  it('does not found a cluster on notices from read replicas', async () => {
    const clock = instantClock();
    const registry = new NoticeRegistry();
    registry.record(notice('2', false));
    registry.record(notice('3', false));
    await assert.rejects(
      decideBootstrap({
        self: notice('1'),
        targets: ['x:1'],
        expect: 2,
        timeoutMs: 500,
        intervalMs: 100,
        registry,
        peers: { probe: () => Promise.resolve('waiting'), notify: () => Promise.resolve() },
        clock,
        random: () => 0,
        log: () => undefined,
      }),
      BootstrapTimeoutError,
    );
  });

  it('founds at once when one voter is expected and no member answers', async () => {
    const decision = await decideBootstrap({
      self: notice('7'),
      targets: ['x:1'],
      expect: 1,
      timeoutMs: 500,
      intervalMs: 100,
      registry: new NoticeRegistry(),
      peers: { probe: () => Promise.reject(new Error('refused')), notify: () => Promise.resolve() },
      clock: instantClock(),
      random: () => 0,
      log: () => undefined,
    });
    assert.deepEqual(decision, { kind: 'found', voters: ['7'] });
  });

  it('refuses settings that cannot form a cluster', async () => {
    const base = {
      self: notice('1'),
      targets: ['x:1'],
      expect: 3,
      timeoutMs: 500,
      intervalMs: 100,
      registry: new NoticeRegistry(),
      peers: { probe: () => Promise.resolve<ProbeAnswer>('silent'), notify: () => Promise.resolve() },
      clock: instantClock(),
      random: () => 0,
      log: () => undefined,
    };
    await assert.rejects(decideBootstrap({ ...base, self: notice('1', false) }), RangeError);
    await assert.rejects(decideBootstrap({ ...base, expect: 0 }), RangeError);
    await assert.rejects(decideBootstrap({ ...base, targets: [] }), RangeError);
    await assert.rejects(decideBootstrap({ ...base, timeoutMs: 0 }), RangeError);
  });
});

describe('node id order', () => {
  it('puts decimal ids in numeric order before other ids', () => {
    assert.deepEqual(['b', '10', 'a', '2', '1'].sort(compareNodeIds), ['1', '2', '10', 'a', 'b']);
  });

  it('is a total order (antisymmetric, transitive, equal only for equal ids)', () => {
    const id = fc.oneof(fc.nat({ max: 10_000 }).map(String), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        assert.equal(Math.sign(compareNodeIds(a, b)) + Math.sign(compareNodeIds(b, a)), 0);
        assert.equal(compareNodeIds(a, b) === 0, a === b);
        if (compareNodeIds(a, b) <= 0 && compareNodeIds(b, c) <= 0) assert.ok(compareNodeIds(a, c) <= 0);
      }),
    );
  });
});

describe('notices', () => {
  it('reads a valid notice and refuses malformed ones', () => {
    assert.deepEqual(parseNotice({ ...notice('4') }), notice('4'));
    for (const bad of [null, 'x', { ...notice('4'), id: '' }, { ...notice('4'), voter: 'yes' }, {}]) {
      assert.throws(() => parseNotice(bad), { name: 'BootstrapNoticeError' });
    }
  });

  it('keeps one notice per id, the latest', () => {
    const registry = new NoticeRegistry();
    registry.record(notice('2'));
    registry.record({ ...notice('2'), raftAddress: 'node-2:4002' });
    registry.record(notice('1'));
    assert.deepEqual(registry.voterIds(), ['1', '2']);
    assert.equal(registry.get('2')?.raftAddress, 'node-2:4002');
  });
});
