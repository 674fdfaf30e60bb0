// Random operation plans from a seed, for histories too large to shrink: the timing measurement and
// the large-history test. A small xorshift generator keeps them reproducible without a dependency.

import type { KeyValueInput } from './key-value-model.js';
import type { PlannedOperation } from './sequential-history.js';

export interface RandomPlanShape {
  readonly seed: number;
  readonly operationCount: number;
  readonly keyCount: number;
  readonly clientCount: number;
  /** The share of operations, in [0, 1], whose response is lost. */
  readonly lostShare: number;
}

export function randomPlan(shape: RandomPlanShape): PlannedOperation[] {
  let seed = shape.seed >>> 0 || 1;
  const next = (): number => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 0x1_0000_0000;
  };
  const below = (limit: number): number => Math.floor(next() * limit);

  const plan: PlannedOperation[] = [];
  for (let index = 0; index < shape.operationCount; index += 1) {
    const key = `k${below(shape.keyCount)}`;
    const value = `v${index}`;
    const roll = next();
    const input: KeyValueInput =
      roll < 0.4
        ? { kind: 'get', key }
        : roll < 0.8
          ? { kind: 'put', key, value }
          : { kind: 'cas', key, from: below(2) === 0 ? null : `v${below(index + 1)}`, to: value };
    const lostRoll = next();
    const lost =
      lostRoll < shape.lostShare ? (lostRoll < shape.lostShare / 2 ? 'applied' : 'never-applied') : null;
    plan.push({
      client: below(shape.clientCount),
      input,
      idleBefore: below(5),
      duration: 1 + below(20),
      effectFraction: next(),
      ...(lost === null ? {} : { lost }),
    });
  }
  return plan;
}
