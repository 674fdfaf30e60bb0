// The staleness measure must call a read stale only when the history proves it, and must flag values that
// no client wrote: hand-made histories with the answers worked out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { KeyValueOperation } from '../../lib/linearizability.js';
import type { LocalRead } from './register-workload.js';
import { measureStaleness } from './staleness.js';

function put(
  key: string,
  value: string,
  call: number,
  returned: number,
  acknowledged = true,
): KeyValueOperation {
  return {
    client: 0,
    input: { kind: 'put', key, value },
    call,
    return: returned,
    output: acknowledged ? { kind: 'put' } : undefined,
  };
}

function read(key: string, value: string | null, call: number, returned = call + 1): LocalRead {
  return { nodeId: '2', key, value, call, return: returned };
}

describe('measureStaleness', () => {
  it('finds no staleness in reads of the latest value', () => {
    const history = [put('1', 'a', 0, 10), put('1', 'b', 20, 30)];
    const summary = measureStaleness(history, [read('1', null, -5), read('1', 'a', 12), read('1', 'b', 40)]);
    assert.deepEqual(summary, { reads: 3, staleReads: 0, maxStalenessMs: 0, unexplained: [] });
  });

  it('measures from the end of the first acknowledged overwrite', () => {
    const history = [put('1', 'a', 0, 10), put('1', 'b', 20, 30), put('1', 'c', 40, 50)];
    const summary = measureStaleness(history, [read('1', 'a', 100), read('1', null, 35)]);
    assert.equal(summary.staleReads, 2);
    // 'a' was overwritten by 'b', acknowledged at 30: the read at 100 is at least 70 ms stale.
    assert.equal(summary.maxStalenessMs, 70);
  });

  it('does not count overlapping or unacknowledged overwrites', () => {
    const overlapping = [put('1', 'a', 0, 10), put('1', 'b', 5, 15)];
    assert.equal(measureStaleness(overlapping, [read('1', 'a', 100)]).staleReads, 0);
    const unacknowledged = [put('1', 'a', 0, 10), put('1', 'b', 20, 30, false)];
    assert.equal(measureStaleness(unacknowledged, [read('1', 'a', 100)]).staleReads, 0);
    // A value from a write with an unknown outcome may have landed at any time: no bound follows from it.
    const unknownSource = [put('1', 'a', 0, 10, false), put('1', 'b', 20, 30)];
    assert.equal(measureStaleness(unknownSource, [read('1', 'a', 100)]).staleReads, 0);
  });

  it('flags values never written, written to another key, or read before they were written', () => {
    const history = [put('1', 'a', 50, 60), put('2', 'b', 0, 10)];
    const reads = [read('1', 'zzz', 100), read('1', 'b', 100), read('1', 'a', 10, 20)];
    assert.deepEqual(measureStaleness(history, reads).unexplained, reads);
  });
});
