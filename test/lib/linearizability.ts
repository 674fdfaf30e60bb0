// A linearizability checker for client histories recorded by the simulator and the end-to-end tests.
//
// A history is linearizable when every operation can be given a single instant between its call and its
// response such that, executed one by one in the order of those instants, a sequential model of the
// system produces exactly the outputs the clients saw. The search lives in linearizability-search.ts; this
// file is the public surface: the types, the checks on the input, splitting the history into independent
// parts, and the verdict.

import { LinearizabilityInputError } from './linearizability-error.js';
import { describeViolation } from './linearizability-report.js';
import { searchLinearization } from './linearizability-search.js';

export { LinearizabilityInputError } from './linearizability-error.js';
export type { LinearizabilityInputErrorCode } from './linearizability-error.js';
export { keyValueModel } from './key-value-model.js';
export type { KeyValueInput, KeyValueOperation, KeyValueOutput, KeyValueState } from './key-value-model.js';
export { registerModel } from './register-model.js';
export type { RegisterInput, RegisterOutput, RegisterValue } from './register-model.js';

/**
 * One client operation as observed from outside the system.
 *
 * Times are in any monotonic unit shared by the whole history. Operation A is known to precede B only when
 * A returned strictly before B was called (`A.return < B.call`); equal times count as overlapping, so a
 * recorder that wants to state an order must use distinct times.
 *
 * An operation whose outcome is unknown (`output` undefined: the client timed out, crashed or lost the
 * connection) may have taken effect at any instant after its call, even after the client gave up, or never;
 * its `return`, if finite, is therefore ignored.
 */
export interface Operation<Input, Output> {
  readonly client: number;
  readonly input: Input;
  /** Invocation time. */
  readonly call: number;
  /** Response time; `Number.POSITIVE_INFINITY` if no response ever came. */
  readonly return: number;
  /** Undefined when the outcome is unknown (timeout, crash). */
  readonly output: Output | undefined;
}

/**
 * The sequential specification that a history is checked against.
 *
 * `step` must be a pure function: it must not change `state`, because the search keeps earlier states and
 * returns to them when it backtracks. With an unknown output (`undefined`) it should accept every input in
 * every state, since the client saw nothing that could contradict it.
 */
export interface Model<State, Input, Output> {
  init(): State;
  /** Apply `input` to `state`; `ok` says whether `output` is what the sequential system would answer. */
  step(state: State, input: Input, output: Output | undefined): { ok: boolean; next: State };
  /** A canonical string for `state`: two states with the same key must behave identically from then on. */
  key(state: State): string;
  /**
   * Split a history into parts that can be checked independently (for a key-value store, one part per
   * key). A part must contain only operations of the given history, each at most once; an operation may be
   * left out when it constrains nothing (a read whose answer was never seen).
   */
  partition?(history: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  /** A short human-readable form of one operation, for violation messages. */
  describe?(input: Input, output: Output | undefined): string;
}

export type Verdict =
  | { result: 'linearizable' }
  /**
   * `message` names the part of the history that failed and gives a readable account of the longest
   * linearizable prefix found and of the operations that could not be placed after it.
   */
  | { result: 'violation'; message: string }
  /** The step budget ran out before the search could decide. */
  | { result: 'unknown'; reason: string };

export interface CheckOptions {
  /**
   * The most search steps (trial placements of one operation, and backtracks) to spend on the whole
   * history. The search memoises every configuration it visits, so memory grows with the steps too.
   */
  readonly stepBudget?: number;
}

/** Enough for histories of tens of thousands of operations with a handful of concurrent clients. */
export const DEFAULT_STEP_BUDGET = 5_000_000;

/**
 * Decide whether `history` is linearizable with respect to `model`. Deterministic: the same history and
 * model always give the same verdict and message. Throws `LinearizabilityInputError` for a malformed
 * history or options.
 */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options?: CheckOptions,
): Verdict {
  const stepBudget = options?.stepBudget ?? DEFAULT_STEP_BUDGET;
  if (!Number.isSafeInteger(stepBudget) || stepBudget < 1) {
    throw new LinearizabilityInputError(
      'INVALID_OPTIONS',
      `stepBudget must be a positive integer, got ${String(stepBudget)}`,
    );
  }
  history.forEach(validateOperation);

  const positionOf = new Map<Operation<I, O>, number>();
  history.forEach((operation, position) => {
    const earlier = positionOf.get(operation);
    if (earlier !== undefined) {
      throw new LinearizabilityInputError(
        'INVALID_OPERATION',
        `operations #${earlier} and #${position} are the same object; record each operation once`,
      );
    }
    positionOf.set(operation, position);
  });
  const partitions = model.partition ? model.partition(history) : [history.slice()];
  validatePartitions(partitions, positionOf);

  // Smaller parts first: a violation in one of them is then found before a large part can use up the
  // budget. Parts are still named by their place in the partition.
  const bySize = partitions
    .map((operations, partitionIndex) => ({ operations, partitionIndex }))
    .sort((a, b) => a.operations.length - b.operations.length || a.partitionIndex - b.partitionIndex);
  let stepsLeft = stepBudget;
  for (const { operations, partitionIndex } of bySize) {
    const outcome = searchLinearization(model, operations, stepsLeft);
    if (outcome.steps > stepsLeft) {
      throw new Error(`the search spent ${outcome.steps} steps, more than the ${stepsLeft} it was given`);
    }
    stepsLeft -= outcome.steps;
    const where = { partitionIndex, partitionCount: partitions.length };
    switch (outcome.kind) {
      case 'linearizable':
        break;
      case 'violation':
        return {
          result: 'violation',
          message: describeViolation(model, operations, positionOf, where, outcome),
        };
      case 'exhausted':
        return {
          result: 'unknown',
          reason:
            `the step budget of ${stepBudget} ran out in part ${partitionIndex + 1} of ${partitions.length} ` +
            `(${operations.length} operations); no violation was found in the smaller parts checked before it. ` +
            `Raise stepBudget, or record a smaller history with fewer concurrent or unanswered operations.`,
        };
      default: {
        const unexpected: never = outcome;
        throw new Error(`unexpected search outcome ${String(unexpected)}`);
      }
    }
  }
  return { result: 'linearizable' };
}

function validateOperation<I, O>(operation: Operation<I, O>, position: number): void {
  const { call, return: returned, output } = operation;
  const fail = (rule: string): never => {
    throw new LinearizabilityInputError(
      'INVALID_OPERATION',
      `operation #${position} (client ${operation.client}, call ${call}, return ${returned}): ${rule}`,
    );
  };
  if (typeof call !== 'number' || !Number.isFinite(call)) fail('call must be a finite number');
  if (typeof returned !== 'number' || Number.isNaN(returned)) fail('return must be a number');
  if (returned < call) fail('it returned before it was called');
  if (returned === Number.POSITIVE_INFINITY && output !== undefined) {
    fail('an operation that never returned cannot have an output; leave output undefined');
  }
}

function validatePartitions<I, O>(
  partitions: readonly (readonly Operation<I, O>[])[],
  positionOf: ReadonlyMap<Operation<I, O>, number>,
): void {
  const seen = new Set<Operation<I, O>>();
  for (const [partitionIndex, operations] of partitions.entries()) {
    for (const operation of operations) {
      if (!positionOf.has(operation)) {
        throw new LinearizabilityInputError(
          'INVALID_PARTITION',
          `part ${partitionIndex + 1} holds an operation that is not in the history; partition must ` +
            `return the history's own operation objects`,
        );
      }
      if (seen.has(operation)) {
        throw new LinearizabilityInputError(
          'INVALID_PARTITION',
          `operation #${positionOf.get(operation)} appears in more than one part, or twice in one`,
        );
      }
      seen.add(operation);
    }
  }
}
