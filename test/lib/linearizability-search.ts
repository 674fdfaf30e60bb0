// The search for a linearization of one part of a history: Wing and Gong's depth-first search, with the
// memoisation that Lowe added and Porcupine made popular, extended for operations whose outcome is
// unknown.
//
// Each level of the search places one answered operation, chosen among those that may go next (see
// open-operations.ts), and steps the model; when no choice works it undoes the last one and tries the
// next. Two configurations with the same placed operations and the same model state have the same future,
// so each is explored once: the cache of visited configurations is what keeps the search from being
// exponential in the number of concurrent operations.
//
// An operation with an unknown outcome may have taken effect at any moment after its call, or never. Its
// effect only matters to an answered operation that comes after it, so such operations are placed in runs
// just before an answered one (unknown-runs.ts), and the search succeeds once every answered operation is
// placed: the rest never happened. Placing an unknown operation only ever removes options, so a
// configuration is also skipped when one with the same answered operations and state, but a subset of its
// unknown ones placed, was already explored; without that, every dead end would try every subset of the
// open unknown operations again.

import type { Model, Operation } from './linearizability.js';
import type { EventNode } from './open-operations.js';
import { OpenOperations } from './open-operations.js';
import { isSubset } from './sorted-index-sets.js';
import type { Run } from './unknown-runs.js';
import { RunFinder } from './unknown-runs.js';

export type SearchOutcome<S, I, O> =
  | { readonly kind: 'linearizable'; readonly steps: number }
  | { readonly kind: 'exhausted'; readonly steps: number }
  | { readonly kind: 'violation'; readonly steps: number; readonly deadEnd: DeadEnd<S, I, O> };

/** Where the search got furthest before every path failed: the material for a violation message. */
export interface DeadEnd<S, I, O> {
  /** The longest sequence of operations that the model accepted, in linearization order. */
  readonly prefix: readonly Operation<I, O>[];
  /** The model state after `prefix`. */
  readonly state: S;
  /** The operations that could have come next after `prefix`: answered ones first, then unknown ones. */
  readonly candidates: readonly Operation<I, O>[];
  /** The unplaced answered operation that responded first: it had to take effect before any later call. */
  readonly firstToReturn: Operation<I, O>;
}

/** A way to extend the placed operations: a run of unknown-outcome ones, then one answered one. */
interface Move<S> {
  readonly unknownBefore: readonly number[];
  readonly answeredIndex: number;
  /** The state after the move, which the model accepted. */
  readonly state: S;
  readonly stateKey: string;
}

/** One level of the search: the configuration reached and the moves still to try from it. */
interface Frame<S> {
  /** The level below; kept so that a dead end can name its whole prefix without copying it. */
  readonly parent: Frame<S> | null;
  readonly state: S;
  readonly stateKey: string;
  /** The operations placed to reach this level: a run of unknown ones, then one answered one. */
  readonly placedHere: readonly number[];
  /** The highest index among the placed answered operations; -1 when none is placed. */
  readonly highestAnsweredIndex: number;
  /** The moves that place one answered operation alone; found on the first visit. */
  directMoves: Move<S>[] | null;
  directMoveIndex: number;
  /** Runs to try before an answered operation, found once the direct moves are used up. */
  runs: readonly Run<S>[] | null;
  runIndex: number;
  /** The next answered operation to try after the current run. */
  eventCursor: EventNode;
}

/** Thrown from deep in the search when the step budget runs out, and caught at its entry. */
class BudgetExhausted extends Error {}

/**
 * Search for a linearization of `operations` (one part of a validated history), spending at most
 * `stepBudget` steps. A step is one trial of an operation against the model (or its remembered result),
 * or one backtrack.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  stepBudget: number,
): SearchOutcome<S, I, O> {
  const search = new LinearizationSearch(model, operations, stepBudget);
  try {
    return search.run();
  } catch (error) {
    if (error instanceof BudgetExhausted) return { kind: 'exhausted', steps: search.steps };
    throw error;
  }
}

class LinearizationSearch<S, I, O> {
  steps = 0;

  private readonly open: OpenOperations<I, O>;
  private readonly frames: Frame<S>[] = [];
  /** The unknown-outcome operations placed on the current path, in placement order. */
  private readonly placedUnknown: number[] = [];
  private placedCount = 0;
  /** Visited configurations: for each placed answered set and state, the sets of unknown ones placed. */
  private readonly visited = new Map<string, (readonly number[])[]>();
  private readonly runFinder: RunFinder<S, I, O>;
  /** The deepest frame that ran out of moves, with what could have come next there. */
  private deepest: {
    frame: Frame<S>;
    placedCount: number;
    candidates: number[];
    firstToReturn: number;
  } | null = null;

  constructor(
    private readonly model: Model<S, I, O>,
    operations: readonly Operation<I, O>[],
    private readonly stepBudget: number,
  ) {
    this.open = new OpenOperations(operations);
    this.runFinder = new RunFinder(model, this.open.sorted, {
      step: (state, operation) => this.step(state, operation),
      spend: () => this.spend(),
    });
  }

  run(): SearchOutcome<S, I, O> {
    if (this.open.openAnsweredCount === 0) return { kind: 'linearizable', steps: 0 };
    const initial = this.model.init();
    this.frames.push(this.newFrame(null, initial, this.model.key(initial), [], -1));

    for (;;) {
      const frame = this.frames[this.frames.length - 1]!;
      const move = this.nextMove(frame);
      if (move === null) {
        this.spend();
        this.noteDeadEnd(frame);
        this.frames.pop();
        if (this.frames.length === 0)
          return { kind: 'violation', steps: this.steps, deadEnd: this.deadEnd() };
        this.undo(frame.placedHere);
        continue;
      }

      const placedHere = [...move.unknownBefore, move.answeredIndex];
      for (const index of placedHere) this.place(index);
      const highestAnsweredIndex = Math.max(frame.highestAnsweredIndex, move.answeredIndex);
      if (!this.markVisited(highestAnsweredIndex, move.stateKey)) {
        this.undo(placedHere);
        continue;
      }
      if (this.open.openAnsweredCount === 0) return { kind: 'linearizable', steps: this.steps };
      this.frames.push(this.newFrame(frame, move.state, move.stateKey, placedHere, highestAnsweredIndex));
    }
  }

  private newFrame(
    parent: Frame<S> | null,
    state: S,
    stateKey: string,
    placedHere: readonly number[],
    highestAnsweredIndex: number,
  ): Frame<S> {
    return {
      parent,
      state,
      stateKey,
      placedHere,
      highestAnsweredIndex,
      directMoves: null,
      directMoveIndex: 0,
      runs: null,
      runIndex: 0,
      eventCursor: this.open.firstEvent(),
    };
  }

  /** The next move from `frame` that the model accepts, or null when all have been tried. */
  private nextMove(frame: Frame<S>): Move<S> | null {
    frame.directMoves ??= this.findDirectMoves(frame);
    if (frame.directMoveIndex < frame.directMoves.length) return frame.directMoves[frame.directMoveIndex++]!;
    frame.runs ??= this.runFinder.find(frame.state, frame.stateKey, this.open.pendingCandidates());
    while (frame.runIndex < frame.runs.length) {
      const run = frame.runs[frame.runIndex]!;
      const answeredIndex = this.open.candidateAt(frame.eventCursor);
      if (answeredIndex < 0) {
        frame.runIndex += 1;
        frame.eventCursor = this.open.firstEvent();
        continue;
      }
      frame.eventCursor = frame.eventCursor.next;
      const next = this.step(run.state, this.open.sorted[answeredIndex]!);
      if (next === null) continue;
      return { unknownBefore: run.operations, answeredIndex, state: next, stateKey: this.model.key(next) };
    }
    return null;
  }

  /**
   * The answered candidates that the model accepts from `frame`'s state. If one of them leaves the state
   * unchanged (a read that sees the current value), it is the only move: placing it first loses nothing,
   * since it could be moved to the front of any linearization of the rest without changing an output, and
   * the search need not try the others in its place. Runs of unknown-outcome operations are then not tried
   * either, for the same reason.
   */
  private findDirectMoves(frame: Frame<S>): Move<S>[] {
    const moves: Move<S>[] = [];
    for (const answeredIndex of this.open.answeredCandidates()) {
      const next = this.step(frame.state, this.open.sorted[answeredIndex]!);
      if (next === null) continue;
      const move = { unknownBefore: [], answeredIndex, state: next, stateKey: this.model.key(next) };
      if (move.stateKey === frame.stateKey) {
        frame.runs = [];
        return [move];
      }
      moves.push(move);
    }
    return this.orderByLookahead(moves);
  }

  /**
   * Try first the moves after which the operation that responded first would fit (or that are that
   * operation): it must be placed soon, and a move that rules it out is usually the wrong guess. Only
   * the order changes, never the set of moves, so this affects speed and not the verdict.
   */
  private orderByLookahead(moves: Move<S>[]): Move<S>[] {
    if (moves.length < 2) return moves;
    const firstToReturn = this.open.firstToReturn();
    const operation = this.open.sorted[firstToReturn];
    if (operation === undefined) throw new Error('moves were sought with every answered operation placed');
    const promising: Move<S>[] = [];
    const others: Move<S>[] = [];
    for (const move of moves) {
      const fits = move.answeredIndex === firstToReturn || this.step(move.state, operation) !== null;
      (fits ? promising : others).push(move);
    }
    return [...promising, ...others];
  }

  /** Record the configuration just reached; false if it, or one with more options, was seen before. */
  private markVisited(highestAnsweredIndex: number, stateKey: string): boolean {
    const key = `${this.open.placedAnsweredKey(highestAnsweredIndex)}|${stateKey}`;
    const unknownPlaced = [...this.placedUnknown].sort((a, b) => a - b);
    const seen = this.visited.get(key);
    if (seen === undefined) {
      this.visited.set(key, [unknownPlaced]);
      return true;
    }
    if (seen.some((set) => isSubset(set, unknownPlaced))) return false;
    seen.push(unknownPlaced);
    return true;
  }

  private step(state: S, operation: Operation<I, O>): S | null {
    this.spend();
    const { ok, next } = this.model.step(state, operation.input, operation.output);
    if (typeof ok !== 'boolean') throw new Error(`model.step must return a boolean ok, got ${String(ok)}`);
    return ok ? next : null;
  }

  private spend(): void {
    if (this.steps >= this.stepBudget) throw new BudgetExhausted();
    this.steps += 1;
  }

  private place(index: number): void {
    this.open.place(index);
    if (!this.open.isAnswered(index)) this.placedUnknown.push(index);
    this.placedCount += 1;
  }

  /** Undo the placements of `placedHere`, last first, as the lists require. */
  private undo(placedHere: readonly number[]): void {
    for (let i = placedHere.length - 1; i >= 0; i -= 1) {
      const index = placedHere[i]!;
      this.open.unplace(index);
      if (!this.open.isAnswered(index)) {
        const popped = this.placedUnknown.pop();
        if (popped !== index) throw new Error(`unplaced operation ${index}, but ${popped} was placed last`);
      }
      this.placedCount -= 1;
    }
  }

  private noteDeadEnd(frame: Frame<S>): void {
    if (this.deepest !== null && this.placedCount <= this.deepest.placedCount) return;
    const firstToReturn = this.open.firstToReturn();
    if (firstToReturn < 0) throw new Error('a dead end was reached with every answered operation placed');
    this.deepest = {
      frame,
      placedCount: this.placedCount,
      candidates: [...this.open.answeredCandidates(), ...this.open.pendingCandidates()],
      firstToReturn,
    };
  }

  private deadEnd(): DeadEnd<S, I, O> {
    if (this.deepest === null) throw new Error('the search failed without reaching a dead end');
    const { frame, placedCount, candidates, firstToReturn } = this.deepest;
    const sorted = this.open.sorted;
    const levels: Frame<S>[] = [];
    for (let level: Frame<S> | null = frame; level !== null; level = level.parent) levels.push(level);
    const prefix = levels.reverse().flatMap((level) => level.placedHere.map((index) => sorted[index]!));
    if (prefix.length !== placedCount)
      throw new Error(`dead end prefix of ${prefix.length}, not ${placedCount}`);
    return {
      prefix,
      state: frame.state,
      candidates: candidates.map((index) => sorted[index]!),
      firstToReturn: sorted[firstToReturn]!,
    };
  }
}
