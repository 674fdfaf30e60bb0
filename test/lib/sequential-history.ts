// Histories that are linearizable by construction, for testing the checker: every operation gets an
// instant at which it takes effect inside its call–return interval, the operations are executed one by one
// against a plain map in the order of those instants, and each client is told what that execution answered.
// Some operations lose their response, as they would in a crash or a timeout; those may take effect at any
// time after their call, or never.

import type { KeyValueInput, KeyValueOperation, KeyValueOutput } from './key-value-model.js';

/** What happens to an operation whose response is lost. */
export type LostFate = 'never-applied' | 'applied';

export interface PlannedOperation {
  readonly client: number;
  readonly input: KeyValueInput;
  /** Idle time between the client's previous operation and this call; non-negative. */
  readonly idleBefore: number;
  /** Time from call to response (or to the client giving up, when the response is lost); non-negative. */
  readonly duration: number;
  /** Where in [0, 1] of the operation's interval it takes effect; for a lost response, of 3 × duration. */
  readonly effectFraction: number;
  /** Undefined when the client gets its response. */
  readonly lost?: LostFate;
  /** When the response is lost, record the time the client gave up rather than no return at all. */
  readonly lostWithTimeout?: boolean;
}

/** Execute `plan` and return the history its clients would have recorded, in order of call. */
export function recordSequentialHistory(plan: readonly PlannedOperation[]): KeyValueOperation[] {
  const clientFreeAt = new Map<number, number>();
  const timed = plan.map((planned, planIndex) => {
    if (planned.idleBefore < 0 || planned.duration < 0)
      throw new Error('times in a plan must be non-negative');
    if (planned.effectFraction < 0 || planned.effectFraction > 1)
      throw new Error('effectFraction is in [0, 1]');
    const call = (clientFreeAt.get(planned.client) ?? 0) + planned.idleBefore;
    const returned = call + planned.duration;
    clientFreeAt.set(planned.client, returned);
    const span = planned.lost === undefined ? planned.duration : planned.duration * 3;
    const effectAt = planned.lost === 'never-applied' ? null : call + planned.effectFraction * span;
    return { planned, planIndex, call, returned, effectAt };
  });

  const outputs = new Map<number, KeyValueOutput>();
  const store = new Map<string, string>();
  const applied = timed
    .filter((operation) => operation.effectAt !== null)
    .sort((a, b) => a.effectAt! - b.effectAt! || a.planIndex - b.planIndex);
  for (const { planned, planIndex } of applied) outputs.set(planIndex, execute(store, planned.input));

  return timed
    .sort((a, b) => a.call - b.call || a.planIndex - b.planIndex)
    .map(({ planned, planIndex, call, returned }) => {
      if (planned.lost === undefined) {
        const output = outputs.get(planIndex);
        if (output === undefined) throw new Error(`answered operation ${planIndex} was never executed`);
        return { client: planned.client, input: planned.input, call, return: returned, output };
      }
      const giveUp = planned.lostWithTimeout === true ? returned : Number.POSITIVE_INFINITY;
      return { client: planned.client, input: planned.input, call, return: giveUp, output: undefined };
    });
}

function execute(store: Map<string, string>, input: KeyValueInput): KeyValueOutput {
  switch (input.kind) {
    case 'put':
      store.set(input.key, input.value);
      return { kind: 'put' };
    case 'get':
      return { kind: 'get', value: store.get(input.key) ?? null };
    case 'cas': {
      const swaps = (store.get(input.key) ?? null) === input.from;
      if (swaps) store.set(input.key, input.to);
      return { kind: 'cas', ok: swaps };
    }
    default: {
      const unexpected: never = input;
      throw new Error(`unknown operation ${JSON.stringify(unexpected)}`);
    }
  }
}
