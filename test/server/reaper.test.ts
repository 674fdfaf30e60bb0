import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Logger } from '../../src/server/logger.js';
import { Reaper, type ReapableNode } from '../../src/server/reaper.js';

/** A node whose leadership, members and contacts the test sets, on a clock the test moves. */
class FakeNode implements ReapableNode {
  readonly selfId = '1';
  leader = true;
  voters = ['1', '2', '3'];
  nonVoters = ['4'];
  readonly heard = new Map<string, number>();
  readonly removed: string[] = [];
  failRemovals = false;

  isLeader(): boolean {
    return this.leader;
  }
  membersNow(): { voters: readonly string[]; nonVoters: readonly string[] } {
    return { voters: this.voters, nonVoters: this.nonVoters };
  }
  lastHeardFromMs(id: string): number | undefined {
    return this.heard.get(id);
  }
  removeMember(id: string): Promise<void> {
    this.removed.push(id);
    if (this.failRemovals) return Promise.reject(new Error('not leader'));
    this.voters = this.voters.filter((voter) => voter !== id);
    this.nonVoters = this.nonVoters.filter((nonVoter) => nonVoter !== id);
    return Promise.resolve();
  }
}

function quietLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(message),
    error: (message) => lines.push(message),
    child: () => logger,
  };
  return logger;
}

function reaperFor(node: FakeNode, voterAfterMs: number, nonVoterAfterMs: number) {
  const clock = { now: 1_000_000 };
  const lines: string[] = [];
  const reaper = new Reaper(node, {
    voterAfterMs,
    nonVoterAfterMs,
    logger: quietLogger(lines),
    nowMs: () => clock.now,
  });
  return { reaper, clock, lines };
}

void describe('reaping unreachable members', () => {
  test('the leader reaps a voter silent for the voter timeout, and never itself', () => {
    const node = new FakeNode();
    const { reaper, clock, lines } = reaperFor(node, 2000, 0);
    assert.deepEqual(reaper.check(), []);
    clock.now += 1500;
    node.heard.set('2', clock.now);
    assert.deepEqual(reaper.check(), []);
    clock.now += 600; // node 3 silent for 2,100 ms since this node became leader, node 2 for 600 ms
    assert.deepEqual(reaper.check(), ['3']);
    assert.deepEqual(node.removed, ['3']);
    assert.match(
      lines.join('\n'),
      /reaping node 3: not heard from for 2100 ms \(-raft-reap-node-timeout 2000 ms\)/,
    );
    assert.deepEqual(reaper.check(), [], 'a reaped node is gone from the configuration');
  });

  test('read replicas and voters have their own timeouts; 0 never reaps', () => {
    const node = new FakeNode();
    const { reaper, clock } = reaperFor(node, 0, 1000);
    reaper.check();
    clock.now += 10_000;
    assert.deepEqual(reaper.check(), ['4']);
    assert.deepEqual(node.voters, ['1', '2', '3']);
  });

  test('a follower reaps nothing, and a new leader gives every member a full timeout', () => {
    const node = new FakeNode();
    node.leader = false;
    const { reaper, clock } = reaperFor(node, 1000, 1000);
    assert.deepEqual(reaper.check(), []);
    clock.now += 60_000;
    assert.deepEqual(reaper.check(), []);
    node.leader = true;
    assert.deepEqual(reaper.check(), [], 'nobody is reaped the moment this node leads');
    clock.now += 999;
    assert.deepEqual(reaper.check(), []);
    clock.now += 1;
    assert.deepEqual(reaper.check().sort(), ['2', '3', '4']);
  });

  test('a member added later is timed from when it appeared', () => {
    const node = new FakeNode();
    const { reaper, clock } = reaperFor(node, 1000, 0);
    node.heard.set('2', clock.now).set('3', clock.now);
    reaper.check();
    clock.now += 900;
    node.voters = [...node.voters, '5'];
    node.heard.set('2', clock.now).set('3', clock.now);
    assert.deepEqual(reaper.check(), []);
    clock.now += 900;
    node.heard.set('2', clock.now).set('3', clock.now);
    assert.deepEqual(reaper.check(), [], 'node 5 has been a member for 900 ms only');
    clock.now += 100;
    node.heard.set('2', clock.now).set('3', clock.now);
    assert.deepEqual(reaper.check(), ['5']);
  });

  test('a removal that fails is logged and tried again at a later check', async () => {
    const node = new FakeNode();
    node.failRemovals = true;
    const { reaper, clock, lines } = reaperFor(node, 1000, 0);
    node.heard.set('2', clock.now + 5000);
    reaper.check();
    clock.now += 1000;
    assert.deepEqual(reaper.check(), ['3']);
    assert.deepEqual(reaper.check(), [], 'not twice while the first removal is in flight');
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(lines.join('\n'), /reaping node 3 failed: not leader/);
    assert.deepEqual(reaper.check(), ['3']);
  });

  test('checks run often enough for the shorter timeout', () => {
    const node = new FakeNode();
    assert.equal(reaperFor(node, 0, 0).reaper.checkIntervalMs, 0);
    assert.equal(reaperFor(node, 2000, 0).reaper.checkIntervalMs, 500);
    assert.equal(reaperFor(node, 60_000, 100).reaper.checkIntervalMs, 50);
    assert.equal(reaperFor(node, 3_600_000, 0).reaper.checkIntervalMs, 1000);
  });
});
