// The simulated operator: during the chaos phase it changes the membership and moves leadership, through
// whichever node currently leads, the way an administrator's tools would.

import {
  describeConfChange,
  RaftError,
  type ConfChange,
  type NodeId,
  type SeededRandom,
} from '../../src/raft/index.js';
import type { SimNode } from './sim-node.js';
import type { Trace } from './trace.js';

export class Operator {
  /** Nodes whose removal was proposed; they are never added back (see DESIGN.md on reusing ids). */
  private readonly removalProposed = new Set<NodeId>();
  transfers = 0;

  constructor(
    private readonly nodes: readonly SimNode[],
    private readonly random: SeededRandom,
    private readonly trace: Trace,
    private readonly now: () => number,
  ) {}

  private note(who: string, text: string): void {
    if (this.trace.enabled) this.trace.add(this.now(), who, text);
  }

  /** The running node that leads the highest term, if any. */
  currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const node of this.nodes) {
      const raw = node.raw;
      if (raw === undefined || raw.softState().role !== 'leader') continue;
      const term = raw.hardState().term;
      if (term > bestTerm) {
        best = node;
        bestTerm = term;
      }
    }
    return best;
  }

  /** Proposes one random valid-looking change: add a spare as learner, promote, demote or remove. */
  changeMembership(): void {
    const leader = this.currentLeader();
    const raw = leader?.raw;
    if (leader === undefined || raw === undefined) return;
    const { voters, learners } = raw.status().configuration;
    const members = new Set([...voters, ...learners]);
    const spares = this.nodes
      .filter((node) => !members.has(node.id) && !node.retired && !this.removalProposed.has(node.id))
      .map((node) => node.id);
    const choices: ConfChange[] = [];
    for (const node of spares) choices.push({ kind: 'addLearner', node });
    for (const node of learners) choices.push({ kind: 'addVoter', node }, { kind: 'removeNode', node });
    if (voters.length > 1) {
      for (const node of voters) choices.push({ kind: 'removeNode', node }, { kind: 'addLearner', node });
    }
    if (choices.length === 0) return;
    const change = this.random.pick(choices);
    try {
      raw.proposeConfChange(change);
      if (change.kind === 'removeNode') this.removalProposed.add(change.node);
      this.note(leader.id, `proposed ${describeConfChange(change)}`);
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
      this.note(leader.id, `refused ${describeConfChange(change)}: ${error.message}`);
    }
    leader.afterInput();
  }

  /** Asks the leader to hand leadership to another voter. */
  transferLeadership(): void {
    const leader = this.currentLeader();
    const raw = leader?.raw;
    if (leader === undefined || raw === undefined) return;
    const targets = raw.status().configuration.voters.filter((id) => id !== leader.id);
    if (targets.length === 0) return;
    const target = this.random.pick(targets);
    try {
      raw.transferLeadership(target);
      this.transfers++;
      this.note(leader.id, `transferring leadership to ${target}`);
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
    }
    leader.afterInput();
  }
}
