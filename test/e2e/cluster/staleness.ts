// How stale level=none reads were, judged from the history alone, without trusting any node's clock or
// status: a read was certainly stale when a write that certainly came after the value it returned had
// already been acknowledged before the read began. How long before is a lower bound on its staleness.
import type { KeyValueOperation } from '../../lib/linearizability.js';
import type { LocalRead } from './register-workload.js';

export interface StalenessSummary {
  readonly reads: number;
  /** Reads that returned a value already overwritten by an acknowledged write when the read began. */
  readonly staleReads: number;
  /** The largest lower bound on staleness, in milliseconds (0 when no read was certainly stale). */
  readonly maxStalenessMs: number;
  /** Reads that no history explains: a value never written, written to another key, or not yet written. */
  readonly unexplained: readonly LocalRead[];
}

interface Interval {
  readonly call: number;
  readonly return: number;
}

export function measureStaleness(
  history: readonly KeyValueOperation[],
  reads: readonly LocalRead[],
): StalenessSummary {
  const writeOf = new Map<string, KeyValueOperation>();
  const acknowledgedByKey = new Map<string, Interval[]>();
  for (const operation of history) {
    if (operation.input.kind !== 'put') continue;
    writeOf.set(operation.input.value, operation);
    if (operation.output === undefined) continue;
    const list = acknowledgedByKey.get(operation.input.key) ?? [];
    list.push({ call: operation.call, return: operation.return });
    acknowledgedByKey.set(operation.input.key, list);
  }

  let staleReads = 0;
  let maxStalenessMs = 0;
  const unexplained: LocalRead[] = [];
  for (const read of reads) {
    // The instant by which the returned value was certainly in place; -Infinity for the initial null.
    let inPlaceBy = Number.NEGATIVE_INFINITY;
    if (read.value !== null) {
      const write = writeOf.get(read.value);
      if (write === undefined || write.input.key !== read.key || write.call > read.return) {
        unexplained.push(read);
        continue;
      }
      // A write with an unknown outcome may have taken effect at any later instant: no bound follows.
      if (write.output === undefined) continue;
      inPlaceBy = write.return;
    }
    let overwrittenAt = Number.POSITIVE_INFINITY;
    for (const later of acknowledgedByKey.get(read.key) ?? []) {
      if (later.call > inPlaceBy && later.return < read.call)
        overwrittenAt = Math.min(overwrittenAt, later.return);
    }
    if (overwrittenAt !== Number.POSITIVE_INFINITY) {
      staleReads++;
      maxStalenessMs = Math.max(maxStalenessMs, read.call - overwrittenAt);
    }
  }
  return { reads: reads.length, staleReads, maxStalenessMs, unexplained };
}
