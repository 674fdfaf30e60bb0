// Safety checkers fed by the simulator as the run unfolds. Each property is checked where it can first
// be seen to break, so that a violation is reported at the moment it happens, with a message that says
// which nodes, terms and indexes disagree.
//
// - election safety: at most one leader per term;
// - log matching: entries with the same index and term carry the same command and follow the same term;
// - leader completeness: a new leader's log holds every entry already applied anywhere;
// - state machine safety: no two nodes apply different entries at the same index, and each node applies
//   indexes one after another;
// - committed entries are never lost: at the end every member has applied up to the highest index ever
//   applied anywhere (checked by the simulator with `checkFinalCommit`).

import type { Entry, NodeId, RawNode } from '../../src/raft/index.js';

export type CheckerName =
  | 'electionSafety'
  | 'logMatching'
  | 'leaderCompleteness'
  | 'stateMachineSafety'
  | 'committedLost'
  | 'linearizability'
  | 'liveness'
  | 'invariant';

export interface Violation {
  readonly checker: CheckerName;
  /** Simulated time, in time units. */
  readonly time: number;
  readonly message: string;
}

interface EntryRecord {
  readonly digest: string;
  readonly prevTerm: number | undefined;
  readonly node: NodeId;
}

/** FNV-1a over the bytes: a compact fingerprint of an entry's payload. */
function fingerprint(data: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ (data[i] as number), 0x01000193);
  return hash >>> 0;
}

export function entryDigest(entry: Entry): string {
  return `${entry.term}:${entry.type}:${entry.data.length}:${fingerprint(entry.data)}`;
}

export class SafetyCheckers {
  readonly violations: Violation[] = [];
  private readonly leaders = new Map<number, NodeId>();
  private readonly reportedLeaders = new Set<string>();
  private readonly entries = new Map<string, EntryRecord>();
  /** Index → digest of the entry applied there (every applied entry is committed). */
  private readonly applied: (string | undefined)[] = [];
  private readonly appliedTerms: number[] = [];
  /** Index → the node that applied it first, for messages. */
  private readonly appliedBy: NodeId[] = [];
  private highestApplied = 0;

  report(checker: CheckerName, time: number, message: string): void {
    this.violations.push({ checker, time, message });
  }

  get highestAppliedIndex(): number {
    return this.highestApplied;
  }

  leaderOf(term: number): NodeId | undefined {
    return this.leaders.get(term);
  }

  /** How many terms had a leader. */
  get leaderTerms(): number {
    return this.leaders.size;
  }

  /** A node is leader of `term`. The first time, its log is checked for completeness. */
  observeLeader(time: number, node: NodeId, term: number, raw: RawNode): void {
    const known = this.leaders.get(term);
    if (known === node) return;
    if (known !== undefined) {
      const pair = `${term}/${node}`;
      if (!this.reportedLeaders.has(pair)) {
        this.reportedLeaders.add(pair);
        this.report('electionSafety', time, `term ${term} has two leaders: ${known} and ${node}`);
      }
      return;
    }
    this.leaders.set(term, node);
    const status = raw.status();
    for (let index = Math.max(1, status.firstIndex - 1); index <= this.highestApplied; index++) {
      const expected = this.appliedTerms[index];
      if (expected === undefined) continue;
      const actual = raw.termAt(index);
      if (actual !== expected) {
        this.report(
          'leaderCompleteness',
          time,
          `node ${node} became leader of term ${term} without committed entry ${index}/${expected} ` +
            `(applied by ${this.appliedBy[index]}); its log has ${actual === undefined ? 'nothing' : `term ${actual}`} there`,
        );
        return;
      }
    }
  }

  /** `entries` were appended to `node`'s log after an entry of term `prevTerm`. */
  observeAppended(time: number, node: NodeId, entries: readonly Entry[], prevTerm: number | undefined): void {
    let previous = prevTerm;
    for (const entry of entries) {
      const key = `${entry.index}/${entry.term}`;
      const digest = entryDigest(entry);
      const record = this.entries.get(key);
      if (record === undefined) {
        this.entries.set(key, { digest, prevTerm: previous, node });
      } else if (record.digest !== digest) {
        this.report('logMatching', time, `entry ${key} differs between node ${record.node} and node ${node}`);
      } else if (record.prevTerm !== undefined && previous !== undefined && record.prevTerm !== previous) {
        this.report(
          'logMatching',
          time,
          `entry ${key} follows term ${record.prevTerm} on node ${record.node} but term ${previous} on node ${node}`,
        );
      }
      previous = entry.term;
    }
  }

  /** `node` applied `entry`; `previousIndex` is what it had applied before. */
  observeApplied(time: number, node: NodeId, entry: Entry, previousIndex: number): void {
    if (entry.index !== previousIndex + 1) {
      this.report(
        'stateMachineSafety',
        time,
        `node ${node} applied ${entry.index} right after ${previousIndex}`,
      );
    }
    const digest = entryDigest(entry);
    const known = this.applied[entry.index];
    if (known === undefined) {
      this.applied[entry.index] = digest;
      this.appliedTerms[entry.index] = entry.term;
      this.appliedBy[entry.index] = node;
      if (entry.index > this.highestApplied) this.highestApplied = entry.index;
    } else if (known !== digest) {
      this.report(
        'stateMachineSafety',
        time,
        `node ${node} applied ${entry.index}/${entry.term} but node ${this.appliedBy[entry.index]} applied ` +
          `${entry.index}/${this.appliedTerms[entry.index]} with other contents there`,
      );
    }
  }

  /** A snapshot at (index, term) was installed or restored by `node`: it must agree with what was applied. */
  observeSnapshot(time: number, node: NodeId, index: number, term: number, stateText: string): void {
    const appliedTerm = this.appliedTerms[index];
    if (appliedTerm !== undefined && appliedTerm !== term) {
      this.report(
        'stateMachineSafety',
        time,
        `node ${node} holds a snapshot at ${index}/${term} but ${index}/${appliedTerm} was applied`,
      );
    }
    const known = this.snapshotStates.get(index);
    if (known === undefined) this.snapshotStates.set(index, stateText);
    else if (known !== stateText) {
      this.report(
        'stateMachineSafety',
        time,
        `node ${node} holds a snapshot at ${index} whose state differs`,
      );
    }
  }

  private readonly snapshotStates = new Map<number, string>();

  /** At the end of a run: each member must have applied every entry ever applied anywhere. */
  checkFinalCommit(time: number, members: readonly { id: NodeId; applied: number }[]): void {
    for (const member of members) {
      if (member.applied < this.highestApplied) {
        this.report(
          'committedLost',
          time,
          `member ${member.id} ended at applied index ${member.applied}, but entries up to ` +
            `${this.highestApplied} were applied elsewhere`,
        );
      }
    }
  }
}
