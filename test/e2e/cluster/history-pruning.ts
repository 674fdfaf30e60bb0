// Shrinking a register history before the linearizability check, without changing its verdict.
//
// A write whose outcome is unknown may be linearized as never having happened, so a history without it
// is linearizable whenever the history with it is... and the converse holds when no read returned its
// value: had a linearization placed it, no read could sit between it and the next write (that read would
// have returned its value), so dropping it leaves every read's answer as it was. This needs values that
// are written once each and operations that are only puts and gets (a compare-and-set could observe a
// value without returning it). Unknown writes are what make the search expensive: each one that never
// took effect stays a candidate to the end of the history, so dropping the unobserved ones matters.
import type { KeyValueOperation } from '../../lib/linearizability.js';

/** The history without the unknown-outcome writes whose values no answered read returned. */
export function withoutUnobservedUnknownWrites(history: readonly KeyValueOperation[]): KeyValueOperation[] {
  const written = new Set<string>();
  const observed = new Set<string>();
  for (const operation of history) {
    if (operation.input.kind === 'cas') {
      throw new Error('pruning unobserved writes is sound only for histories of puts and gets');
    }
    if (operation.input.kind === 'put') {
      const key = `${operation.input.key}\u0000${operation.input.value}`;
      if (written.has(key))
        throw new Error(`value ${operation.input.value} was written twice; values must be unique`);
      written.add(key);
    }
    if (operation.output?.kind === 'get' && operation.output.value !== null) {
      observed.add(`${operation.input.key}\u0000${operation.output.value}`);
    }
  }
  return history.filter(
    (operation) =>
      !(
        operation.input.kind === 'put' &&
        operation.output === undefined &&
        !observed.has(`${operation.input.key}\u0000${operation.input.value}`)
      ),
  );
}
