// Unreachable-peer reports, gathered and delivered on a later turn of the event loop: a handler is never
// called from inside a Transport method (the node may be in the middle of handling a Ready when it
// sends), and a peer whose queue overflows on many messages in one turn is reported once.

import type { NodeId } from '../raft/types.js';

export class UnreachableReports {
  private readonly pending = new Set<NodeId>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly report: (id: NodeId) => void) {}

  add(id: NodeId): void {
    this.pending.add(id);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  clear(): void {
    this.pending.clear();
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private flush(): void {
    this.scheduled = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    for (const id of ids) this.report(id);
  }
}
