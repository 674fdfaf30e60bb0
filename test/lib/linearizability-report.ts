// Turns the furthest point of a failed search into a message a person can act on: which part of the
// history failed, the longest prefix that could be linearized, the state it left, and why each operation
// that could have come next did not fit.

import type { Model, Operation } from './linearizability.js';
import type { DeadEnd } from './linearizability-search.js';

/** Lines listed per section; a failed search of a long history would otherwise print all of it. */
const LISTED_OPERATIONS_MAX = 10;
/** Operations without a response are named by number; this many or fewer are also shown in full. */
const UNANSWERED_SHOWN_IN_FULL_MAX = 3;

export interface PartLocation {
  readonly partitionIndex: number;
  readonly partitionCount: number;
}

export function describeViolation<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  positionOf: ReadonlyMap<Operation<I, O>, number>,
  where: PartLocation,
  outcome: { readonly deadEnd: DeadEnd<S, I, O> },
): string {
  const { prefix, state, candidates, firstToReturn } = outcome.deadEnd;
  const show = (operation: Operation<I, O>): string => {
    const position = positionOf.get(operation);
    const returned = operation.return === Number.POSITIVE_INFINITY ? '∞' : String(operation.return);
    const description = model.describe
      ? model.describe(operation.input, operation.output)
      : `${printable(operation.input)} → ${operation.output === undefined ? '?' : printable(operation.output)}`;
    return `#${position ?? '?'} client ${operation.client} [${operation.call}, ${returned}] ${description}`;
  };

  const first = operations[0];
  const lines = [
    `Not linearizable: part ${where.partitionIndex + 1} of ${where.partitionCount} ` +
      `(${operations.length} operations${first === undefined ? '' : `, the first of them ${show(first)}`}).`,
  ];

  if (prefix.length === 0) {
    lines.push('Not even the first operation can be linearized.');
  } else {
    const listed = prefix.slice(-LISTED_OPERATIONS_MAX);
    const which = listed.length === prefix.length ? 'in' : `its last ${listed.length}, in`;
    lines.push(
      `The longest linearizable prefix found has ${prefix.length} of the ${operations.length} operations; ` +
        `${which} linearization order:`,
    );
    for (const operation of listed) lines.push(`  ${show(operation)}`);
  }
  lines.push(`State after it: ${model.key(state)}`);

  const answered = candidates.filter((operation) => operation.output !== undefined);
  const unanswered = candidates.filter((operation) => operation.output === undefined);
  lines.push(`None of the ${candidates.length} operations that could come next leads to a linearization:`);
  for (const operation of answered.slice(0, LISTED_OPERATIONS_MAX)) {
    const fits = model.step(state, operation.input, operation.output).ok;
    const why = fits
      ? 'fits here, but the operations after it then cannot all be placed'
      : 'the model rejects it in this state';
    lines.push(`  ${show(operation)}: ${why}`);
  }
  if (answered.length > LISTED_OPERATIONS_MAX) {
    lines.push(`  ... and ${answered.length - LISTED_OPERATIONS_MAX} more answered ones`);
  }
  if (unanswered.length > 0) {
    const listed = unanswered.slice(0, LISTED_OPERATIONS_MAX);
    const more =
      unanswered.length > listed.length ? `, ... and ${unanswered.length - listed.length} more` : '';
    const names = listed.map((operation) => `#${positionOf.get(operation) ?? '?'}`).join(', ');
    lines.push(
      `  ${unanswered.length} without a response, which may take effect here but do not help: ${names}${more}`,
    );
    if (unanswered.length <= UNANSWERED_SHOWN_IN_FULL_MAX)
      for (const operation of unanswered) lines.push(`    ${show(operation)}`);
  }
  lines.push(
    `${show(firstToReturn)} returned first among the unplaced operations, so it had to take effect ` +
      `before anything called later.`,
  );
  return lines.join('\n');
}

function printable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
