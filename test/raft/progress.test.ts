// Flow control toward one follower: the in-flight window and the probe/replicate/snapshot states.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RaftInvariantError } from '../../src/raft/index.js';
import { Inflights } from '../../src/raft/inflights.js';
import { Progress } from '../../src/raft/progress.js';

describe('Inflights', () => {
  it('fills up by count and frees acknowledged messages', () => {
    const window = new Inflights(3, 1000);
    window.add(5, 10);
    window.add(7, 10);
    assert.equal(window.isFull(), false);
    window.add(9, 10);
    assert.equal(window.isFull(), true);
    window.freeUpTo(6);
    assert.equal(window.size(), 2);
    assert.equal(window.isFull(), false);
    window.add(12, 10);
    window.freeUpTo(100);
    assert.equal(window.size(), 0);
  });

  it('fills up by bytes', () => {
    const window = new Inflights(100, 25);
    window.add(1, 10);
    window.add(2, 10);
    assert.equal(window.isFull(), false);
    window.add(3, 10);
    assert.equal(window.isFull(), true);
    window.freeUpTo(1);
    assert.equal(window.isFull(), false);
  });

  it('wraps around its ring buffer', () => {
    const window = new Inflights(3, 1000);
    for (let index = 1; index <= 30; index++) {
      window.add(index, 1);
      if (window.isFull()) window.freeUpTo(index - 1);
    }
    // Full at every odd index from 3 on, leaving 29 and 30 in flight at the end.
    assert.equal(window.size(), 2);
    window.freeUpTo(29);
    assert.equal(window.size(), 1);
    window.freeUpTo(30);
    assert.equal(window.size(), 0);
  });

  it('refuses to overflow or to go backwards', () => {
    const window = new Inflights(1, 1000);
    window.add(4, 1);
    assert.throws(() => window.add(5, 1), RaftInvariantError);
    const other = new Inflights(4, 1000);
    other.add(4, 1);
    assert.throws(() => other.add(4, 1), RaftInvariantError);
  });
});

describe('Progress', () => {
  function progress(): Progress {
    return new Progress(10, false, 2, 1000);
  }

  it('probes one message at a time, resuming on an answer', () => {
    const p = progress();
    assert.equal(p.state, 'probe');
    p.sentEntries(3, 12, 30);
    assert.equal(p.isPaused(), true);
    assert.equal(p.next, 10, 'probing does not move next optimistically');
    assert.ok(p.maybeUpdate(12));
    assert.equal(p.isPaused(), false);
    assert.deepEqual([p.match, p.next], [12, 13]);
  });

  it('pipelines in the replicate state until the window is full', () => {
    const p = progress();
    p.maybeUpdate(9);
    p.becomeReplicate();
    p.sentEntries(2, 11, 20);
    assert.equal(p.next, 12);
    assert.equal(p.isPaused(), false);
    p.sentEntries(2, 13, 20);
    assert.equal(p.isPaused(), true, 'two messages in flight fill a window of two');
    p.inflights.freeUpTo(11);
    p.maybeUpdate(11);
    assert.equal(p.isPaused(), false);
  });

  it('ignores stale rejections and backs off on fresh ones', () => {
    const p = progress();
    p.maybeUpdate(5);
    p.becomeProbe();
    assert.equal(p.next, 6);
    assert.equal(p.maybeDecreaseTo(9, 3), false, 'answers an append that was never sent from there');
    assert.equal(p.maybeDecreaseTo(5, 3), true);
    assert.equal(p.next, 6, 'never below match + 1');
    const q = new Progress(20, false, 4, 1000);
    assert.equal(q.maybeDecreaseTo(19, 7), true);
    assert.equal(q.next, 8, 'jumps to the hint');
  });

  it('returns from replicate to probe after a rejection, at match + 1', () => {
    const p = progress();
    p.maybeUpdate(9);
    p.becomeReplicate();
    p.sentEntries(5, 14, 50);
    assert.equal(p.maybeDecreaseTo(9, 9), false, 'a rejection at or below match is stale');
    assert.equal(p.maybeDecreaseTo(12, 9), true);
    assert.equal(p.next, 10);
  });

  it('sends nothing while a snapshot is in flight, then probes after it', () => {
    const p = progress();
    p.becomeSnapshot(50);
    assert.equal(p.isPaused(), true);
    assert.throws(() => p.sentEntries(1, 11, 1), RaftInvariantError);
    p.becomeProbe();
    assert.equal(p.next, 51, 'after a finished transfer, probing starts after the snapshot');
    const failed = progress();
    failed.becomeSnapshot(50);
    failed.pendingSnapshot = 0;
    failed.becomeProbe();
    assert.equal(failed.next, 1, 'after a failed one, from what is known to match');
  });
});
