// The seeded generator behind election timeouts and the simulator.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SeededRandom } from '../../src/raft/index.js';

function draw(random: SeededRandom, count: number, bound: number): number[] {
  return Array.from({ length: count }, () => random.nextInt(bound));
}

describe('SeededRandom', () => {
  it('replays the same sequence from the same seed', () => {
    assert.deepEqual(draw(new SeededRandom(42), 50, 1000), draw(new SeededRandom(42), 50, 1000));
    assert.notDeepEqual(draw(new SeededRandom(42), 50, 1000), draw(new SeededRandom(43), 50, 1000));
  });

  it('uses both halves of a large seed', () => {
    const high = 2 ** 40;
    assert.notDeepEqual(
      draw(new SeededRandom(high), 20, 1000),
      draw(new SeededRandom(high + 2 ** 33), 20, 1000),
    );
  });

  it('stays within bounds and covers them roughly uniformly', () => {
    const random = new SeededRandom(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const value = random.nextInt(10);
      assert.ok(Number.isInteger(value) && value >= 0 && value < 10);
      counts[value] = (counts[value] ?? 0) + 1;
    }
    for (const count of counts) assert.ok(count > 1700 && count < 2300, `bucket of ${count}`);
    assert.equal(random.nextInt(1), 0);
  });

  it('offers ranges, choices and chances on top of nextInt', () => {
    const random = new SeededRandom(9);
    for (let i = 0; i < 1000; i++) {
      const value = random.between(-3, 3);
      assert.ok(value >= -3 && value <= 3);
      assert.ok(['a', 'b'].includes(random.pick(['a', 'b'])));
    }
    assert.equal(random.chance(0), false);
    assert.equal(random.chance(1), true);
  });

  it('forks independent generators deterministically', () => {
    const a = new SeededRandom(5);
    const b = new SeededRandom(5);
    assert.deepEqual(draw(a.fork(), 10, 100), draw(b.fork(), 10, 100));
    assert.notDeepEqual(draw(a.fork(), 10, 100), draw(a.fork(), 10, 100));
  });

  it('refuses invalid seeds and bounds', () => {
    assert.throws(() => new SeededRandom(1.5), RangeError);
    assert.throws(() => new SeededRandom(2 ** 60), RangeError);
    assert.throws(() => new SeededRandom(1).nextInt(0), RangeError);
    assert.throws(() => new SeededRandom(1).pick([]), RangeError);
  });
});
