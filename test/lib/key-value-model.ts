// A map from string keys to string values, where a missing key reads as null. Keys never interact, so a
// history is checked one key at a time: linearizability is compositional (Herlihy and Wing), and a
// history of a thousand operations on five keys is five small searches rather than one large one.

import type { Model, Operation } from './linearizability.js';
import type { RegisterValue } from './register-model.js';
import { describeRegisterOperation, stepRegister, withoutUnansweredReads } from './register-model.js';

export type KeyValueInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string }
  /** Compare-and-set: write `to` only if `key` holds `from` (null: only if the key is missing). */
  | { readonly kind: 'cas'; readonly key: string; readonly from: string | null; readonly to: string };

export type KeyValueOutput =
  | { readonly kind: 'put' }
  | { readonly kind: 'get'; readonly value: string | null }
  | { readonly kind: 'cas'; readonly ok: boolean };

export type KeyValueOperation = Operation<KeyValueInput, KeyValueOutput>;

/** The keys that have been written, and their values. Never changed in place: every step makes a new map. */
export type KeyValueState = ReadonlyMap<string, string>;

const emptyState: KeyValueState = new Map();

export const keyValueModel: Model<KeyValueState, KeyValueInput, KeyValueOutput> = {
  init: () => emptyState,

  step: (state, input, output) => {
    const current: RegisterValue = state.get(input.key) ?? null;
    const { ok, next } = stepRegister(current, input, output);
    if (!ok || next === current) return { ok, next: state };
    if (next === null) throw new Error('a register step cannot clear a key');
    return { ok, next: new Map(state).set(input.key, next) };
  },

  key: (state) => JSON.stringify([...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),

  partition: (history) => {
    const byKey = new Map<string, KeyValueOperation[]>();
    for (const operation of withoutUnansweredReads(history)) {
      let operations = byKey.get(operation.input.key);
      if (operations === undefined) {
        operations = [];
        byKey.set(operation.input.key, operations);
      }
      operations.push(operation);
    }
    return [...byKey.values()];
  },

  describe: (input, output) => describeRegisterOperation(input.key, input, output),
};
