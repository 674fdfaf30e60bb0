// Message builders and fast-check arbitraries for transport tests.

import fc from 'fast-check';

import type { AppendRequest, InstallSnapshotRequest, Message } from '../../src/raft/messages.js';
import type { Entry, EntryType, NodeId } from '../../src/raft/types.js';

/** Bytes that differ from one index to the next, so that a swapped or damaged payload is noticed. */
export function payloadFor(index: number, bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (index * 31 + i * 7) & 0xff;
  return data;
}

export function append(
  from: NodeId,
  to: NodeId,
  prevIndex: number,
  entryCount: number,
  entryBytes: number,
  term = 3,
): AppendRequest {
  const entries: Entry[] = [];
  for (let i = 0; i < entryCount; i++) {
    const index = prevIndex + 1 + i;
    entries.push({ index, term, type: 'normal', data: payloadFor(index, entryBytes) });
  }
  return {
    type: 'append',
    from,
    to,
    term,
    prevIndex,
    prevTerm: prevIndex === 0 ? 0 : term,
    entries,
    commit: prevIndex,
  };
}

export function heartbeat(from: NodeId, to: NodeId, round: number): Message {
  return { type: 'heartbeat', from, to, term: 3, commit: 0, round };
}

export function installSnapshot(from: NodeId, to: NodeId, index: number): InstallSnapshotRequest {
  return {
    type: 'installSnapshot',
    from,
    to,
    term: 4,
    snapshot: { index, term: 4, confState: { voters: [from, to], learners: ['learner-1'] } },
  };
}

/** One message of every type, from `from` to `to`. */
export function oneOfEachType(from: NodeId, to: NodeId): Message[] {
  return [
    append(from, to, 41, 3, 100),
    {
      type: 'appendResponse',
      from,
      to,
      term: 3,
      reject: true,
      index: 41,
      rejectHintIndex: 30,
      rejectHintTerm: 2,
    },
    heartbeat(from, to, 7),
    { type: 'heartbeatResponse', from, to, term: 3, round: 7 },
    { type: 'vote', from, to, term: 5, lastIndex: 44, lastTerm: 3, transfer: true },
    { type: 'voteResponse', from, to, term: 5, reject: false },
    { type: 'preVote', from, to, term: 6, lastIndex: 44, lastTerm: 3 },
    { type: 'preVoteResponse', from, to, term: 6, reject: true },
    installSnapshot(from, to, 40),
    { type: 'timeoutNow', from, to, term: 5 },
  ];
}

/** fast-check may build records without a prototype; messages on the wire never have one. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const nodeIdArbitrary = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
const countArbitrary = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());
const entryTypeArbitrary = fc.constantFrom<EntryType>('normal', 'confChange', 'noop');

const appendArbitrary = fc
  .record({
    from: nodeIdArbitrary,
    to: nodeIdArbitrary,
    term: fc.nat({ max: 1_000_000 }),
    prevIndex: fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: Number.MAX_SAFE_INTEGER - 100 })),
    commit: countArbitrary,
    entries: fc.array(
      record({
        termStep: fc.boolean(),
        type: entryTypeArbitrary,
        data: fc.uint8Array({ maxLength: 300 }),
      }),
      { maxLength: 12 },
    ),
  })
  .chain((draft) =>
    fc.nat({ max: draft.term }).map((prevTerm): Message => {
      let term = prevTerm;
      const entries = draft.entries.map((entry, i): Entry => {
        if (entry.termStep && term < draft.term) term++;
        return { index: draft.prevIndex + 1 + i, term, type: entry.type, data: entry.data };
      });
      return {
        type: 'append',
        from: draft.from,
        to: draft.to,
        term: draft.term,
        prevIndex: draft.prevIndex,
        prevTerm,
        commit: draft.commit,
        entries,
      };
    }),
  );

const envelope = { from: nodeIdArbitrary, to: nodeIdArbitrary, term: countArbitrary };

export const messageArbitrary: fc.Arbitrary<Message> = fc.oneof(
  appendArbitrary,
  record({
    type: fc.constant('appendResponse' as const),
    ...envelope,
    reject: fc.boolean(),
    index: countArbitrary,
    rejectHintIndex: countArbitrary,
    rejectHintTerm: countArbitrary,
  }),
  record({
    type: fc.constant('heartbeat' as const),
    ...envelope,
    commit: countArbitrary,
    round: countArbitrary,
  }),
  record({ type: fc.constant('heartbeatResponse' as const), ...envelope, round: countArbitrary }),
  record({
    type: fc.constant('vote' as const),
    ...envelope,
    lastIndex: countArbitrary,
    lastTerm: countArbitrary,
    transfer: fc.boolean(),
  }),
  record({ type: fc.constant('voteResponse' as const), ...envelope, reject: fc.boolean() }),
  record({
    type: fc.constant('preVote' as const),
    ...envelope,
    lastIndex: countArbitrary,
    lastTerm: countArbitrary,
  }),
  record({ type: fc.constant('preVoteResponse' as const), ...envelope, reject: fc.boolean() }),
  record({
    type: fc.constant('installSnapshot' as const),
    ...envelope,
    snapshot: record({
      index: countArbitrary,
      term: countArbitrary,
      confState: fc
        .uniqueArray(nodeIdArbitrary, { maxLength: 7 })
        .chain((ids) =>
          fc
            .nat({ max: ids.length })
            .map((split) => ({ voters: ids.slice(0, split), learners: ids.slice(split) })),
        ),
    }),
  }),
  record({ type: fc.constant('timeoutNow' as const), ...envelope }),
);
