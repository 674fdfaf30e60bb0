// A single register holding a string or nothing: the smallest useful model, and the per-key semantics
// that the key-value model reuses.

import { LinearizabilityInputError } from './linearizability-error.js';
import type { Model, Operation } from './linearizability.js';

/** The register's content; null until the first write. */
export type RegisterValue = string | null;

export type RegisterInput =
  | { readonly kind: 'put'; readonly value: string }
  | { readonly kind: 'get' }
  /** Compare-and-set: write `to` only if the register holds `from`. */
  | { readonly kind: 'cas'; readonly from: RegisterValue; readonly to: string };

export type RegisterOutput =
  | { readonly kind: 'put' }
  | { readonly kind: 'get'; readonly value: RegisterValue }
  | { readonly kind: 'cas'; readonly ok: boolean };

/**
 * Apply one operation to a register holding `current`. An unknown output is accepted in every state; for
 * a compare-and-set it still decides the next state, because had it taken effect, its outcome would have
 * been fixed by what the register held at that instant.
 */
export function stepRegister(
  current: RegisterValue,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): { ok: boolean; next: RegisterValue } {
  switch (input.kind) {
    case 'put':
      if (output !== undefined && output.kind !== 'put') throw mismatchedOutput(input, output);
      return { ok: true, next: input.value };
    case 'get':
      if (output === undefined) return { ok: true, next: current };
      if (output.kind !== 'get') throw mismatchedOutput(input, output);
      return { ok: output.value === current, next: current };
    case 'cas': {
      const swaps = current === input.from;
      const next = swaps ? input.to : current;
      if (output === undefined) return { ok: true, next };
      if (output.kind !== 'cas') throw mismatchedOutput(input, output);
      return { ok: output.ok === swaps, next };
    }
    default: {
      const unexpected: never = input;
      throw new Error(`unknown register operation ${JSON.stringify(unexpected)}`);
    }
  }
}

function mismatchedOutput(input: RegisterInput, output: RegisterOutput): LinearizabilityInputError {
  return new LinearizabilityInputError(
    'MISMATCHED_OUTPUT',
    `a ${input.kind} operation was recorded with a ${output.kind} output; the recorder paired the wrong response`,
  );
}

/** A readable form of one register operation; `target` names the register (a key), or is empty. */
export function describeRegisterOperation(
  target: string,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): string {
  const prefix = target === '' ? '' : `${JSON.stringify(target)}, `;
  const result = (shown: string): string => (output === undefined ? ' → ? (no response)' : ` → ${shown}`);
  switch (input.kind) {
    case 'put':
      return `put(${prefix}${JSON.stringify(input.value)})${result('ok')}`;
    case 'get':
      return `get(${target === '' ? '' : JSON.stringify(target)})${result(
        JSON.stringify(output?.kind === 'get' ? output.value : null),
      )}`;
    case 'cas':
      return `cas(${prefix}${JSON.stringify(input.from)} → ${JSON.stringify(input.to)})${result(
        output?.kind === 'cas' && output.ok ? 'swapped' : 'not swapped',
      )}`;
    default: {
      const unexpected: never = input;
      throw new Error(`unknown register operation ${JSON.stringify(unexpected)}`);
    }
  }
}

/** Leave out reads whose answer was never seen: they constrain nothing. */
export function withoutUnansweredReads<I extends { readonly kind: string }, O>(
  operations: readonly Operation<I, O>[],
): Operation<I, O>[] {
  return operations.filter(
    (operation) => !(operation.input.kind === 'get' && operation.output === undefined),
  );
}

export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  init: () => null,
  step: (state, input, output) => stepRegister(state, input, output),
  key: (state) => JSON.stringify(state),
  partition: (history) => [withoutUnansweredReads(history)],
  describe: (input, output) => describeRegisterOperation('', input, output),
};
