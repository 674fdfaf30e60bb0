// What is stored beside a snapshot's data: the configuration and the member addresses, as JSON so that an
// operator can read it. (The configuration's keys are the ones decodeConfState reads.)
import { type MemberAddresses, type MemberTable, parseMemberTable } from '../cluster/members.js';
import type { ConfState } from '../raft/index.js';

export function describeSnapshot(confState: ConfState, members: MemberTable): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ voters: confState.voters, learners: confState.learners, members }),
  );
}

export function membersOfSnapshot(metadata: Uint8Array): ReadonlyMap<string, MemberAddresses> {
  const parsed = JSON.parse(new TextDecoder().decode(metadata)) as { members?: unknown };
  return parsed.members === undefined ? new Map() : parseMemberTable(parsed.members, 'snapshot metadata');
}
