// Runs of operations with unknown outcomes: the ways to reach a new state, just before an answered
// operation, by placing some of the unknown operations that may go next.
//
// Every subset in every order would do, but most are redundant. Placing an unknown operation only ever
// removes options (it need never be placed at all), so of two runs that reach the same state, one whose
// operations are a subset of the other's makes the other pointless. The runs are grown breadth first, one
// operation longer at a time, so that the smaller runs are found first and the larger ones they make
// pointless are never kept: with writes that overwrite each other, only single writes remain.
//
// The same open operations are tried from the same few states at dead end after dead end, so results are
// remembered, both whole sets of runs and single steps.

import type { Model, Operation } from './linearizability.js';
import { insertSorted, isSubset } from './sorted-index-sets.js';

/** Unknown-outcome operations placed in a row, in this order, and the state they lead to. */
export interface Run<S> {
  readonly operations: readonly number[];
  /** The same operations in ascending order, for subset tests. */
  readonly sortedOperations: readonly number[];
  readonly state: S;
  readonly stateKey: string;
}

/** How the search counts its work: the finder spends from the same budget. */
export interface SearchSteps<S, I, O> {
  /** Step the model, counting one search step; null when the model rejects the operation. */
  step(state: S, operation: Operation<I, O>): S | null;
  /** Count one search step that is answered from memory. */
  spend(): void;
}

/** Bounds on the memory of remembered results; a cache starts over when it is full. */
const RUN_SETS_REMEMBERED_MAX = 4_096;
const STEPS_REMEMBERED_MAX = 100_000;

export class RunFinder<S, I, O> {
  private readonly runSets = new Map<string, readonly Run<S>[]>();
  private readonly steps = new Map<string, { state: S; stateKey: string } | null>();

  constructor(
    private readonly model: Model<S, I, O>,
    /** The operations, by the indices that runs and candidates use. */
    private readonly operations: readonly Operation<I, O>[],
    private readonly counter: SearchSteps<S, I, O>,
  ) {}

  /** The non-empty, non-redundant runs of `candidates` (ascending indices) from `state`. */
  find(state: S, stateKey: string, candidates: readonly number[]): readonly Run<S>[] {
    if (candidates.length === 0) return [];
    const cacheKey = `${candidates.join(',')}|${stateKey}`;
    const remembered = this.runSets.get(cacheKey);
    if (remembered !== undefined) {
      this.counter.spend();
      return remembered;
    }
    const runs = this.grow({ operations: [], sortedOperations: [], state, stateKey }, candidates);
    if (this.runSets.size >= RUN_SETS_REMEMBERED_MAX) this.runSets.clear();
    this.runSets.set(cacheKey, runs);
    return runs;
  }

  private grow(empty: Run<S>, candidates: readonly number[]): Run<S>[] {
    const smallestByState = new Map<string, (readonly number[])[]>([[empty.stateKey, [[]]]]);
    const found: Run<S>[] = [];
    let frontier: Run<S>[] = [empty];
    while (frontier.length > 0) {
      const longer: Run<S>[] = [];
      for (const run of frontier) {
        for (const index of candidates) {
          if (run.operations.includes(index)) continue;
          const result = this.step(run, index);
          if (result === null) continue;
          const sortedOperations = insertSorted(run.sortedOperations, index);
          const known = smallestByState.get(result.stateKey);
          if (known?.some((set) => isSubset(set, sortedOperations))) continue;
          if (known === undefined) smallestByState.set(result.stateKey, [sortedOperations]);
          else known.push(sortedOperations);
          const extended = { operations: [...run.operations, index], sortedOperations, ...result };
          found.push(extended);
          longer.push(extended);
        }
      }
      frontier = longer;
    }
    return found;
  }

  private step(run: Run<S>, index: number): { state: S; stateKey: string } | null {
    const cacheKey = `${index}|${run.stateKey}`;
    const remembered = this.steps.get(cacheKey);
    if (remembered !== undefined) {
      this.counter.spend();
      return remembered;
    }
    const next = this.counter.step(run.state, this.operations[index]!);
    const result = next === null ? null : { state: next, stateKey: this.model.key(next) };
    if (this.steps.size >= STEPS_REMEMBERED_MAX) this.steps.clear();
    this.steps.set(cacheKey, result);
    return result;
  }
}
