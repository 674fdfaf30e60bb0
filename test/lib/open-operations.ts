// The operations of one part of a history that the search has not placed yet, arranged so that the
// candidates for the next place can be read off directly.
//
// Calls and responses of the answered operations form one time-ordered, doubly linked list. The answered
// operations that may go next are exactly the calls that come before the first response in that list:
// any of them could have taken effect before that response, and nothing else can. Operations whose
// outcome is unknown have no response, so they sit in a second list, ordered by call; one may go next if
// it was called by the time of that first response.
//
// Placing an operation unlinks its nodes; a removed node keeps its own links ("dancing links"), so
// undoing placements in reverse order restores the lists node for node, and a cursor taken into the list
// before a placement is valid again once the placement is undone.

import type { Operation } from './linearizability.js';

/** A call or response of an answered operation, or one of the two sentinels that bound the list. */
export interface EventNode {
  /** Index in call order; -1 for a sentinel. */
  readonly operationIndex: number;
  readonly isCall: boolean;
  readonly time: number;
  previous: EventNode;
  next: EventNode;
}

interface PendingNode {
  readonly operationIndex: number;
  previous: PendingNode;
  next: PendingNode;
}

type Linked<N> = { previous: N; next: N };

export class OpenOperations<I, O> {
  /** The operations ordered by call time (ties by their order in the part); indices refer to this. */
  readonly sorted: readonly Operation<I, O>[];
  /** How many answered operations are still unplaced; the search succeeds when it reaches zero. */
  openAnsweredCount = 0;

  private readonly callNodes: (EventNode | undefined)[];
  private readonly responseNodes: (EventNode | undefined)[];
  private readonly pendingNodes: (PendingNode | undefined)[];
  private readonly eventHead: EventNode;
  private readonly eventTail: EventNode;
  private readonly pendingHead: PendingNode;
  private readonly pendingTail: PendingNode;

  constructor(operations: readonly Operation<I, O>[]) {
    this.sorted = operations
      .map((operation, position) => ({ operation, position }))
      .sort((a, b) => a.operation.call - b.operation.call || a.position - b.position)
      .map(({ operation }) => operation);
    this.callNodes = new Array<EventNode | undefined>(this.sorted.length);
    this.responseNodes = new Array<EventNode | undefined>(this.sorted.length);
    this.pendingNodes = new Array<PendingNode | undefined>(this.sorted.length);

    const events: EventNode[] = [];
    const pending: PendingNode[] = [];
    this.sorted.forEach((operation, operationIndex) => {
      if (operation.output === undefined) {
        const node = makeNode<PendingNode>({ operationIndex });
        this.pendingNodes[operationIndex] = node;
        pending.push(node);
        return;
      }
      const call = makeNode<EventNode>({ operationIndex, isCall: true, time: operation.call });
      const response = makeNode<EventNode>({ operationIndex, isCall: false, time: operation.return });
      this.callNodes[operationIndex] = call;
      this.responseNodes[operationIndex] = response;
      events.push(call, response);
      this.openAnsweredCount += 1;
    });
    // Calls before responses at the same instant: equal times overlap, so either order is allowed.
    events.sort(
      (a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.operationIndex - b.operationIndex,
    );
    this.eventHead = makeNode<EventNode>({
      operationIndex: -1,
      isCall: false,
      time: Number.NEGATIVE_INFINITY,
    });
    this.eventTail = makeNode<EventNode>({
      operationIndex: -1,
      isCall: false,
      time: Number.POSITIVE_INFINITY,
    });
    chain([this.eventHead, ...events, this.eventTail]);
    this.pendingHead = makeNode<PendingNode>({ operationIndex: -1 });
    this.pendingTail = makeNode<PendingNode>({ operationIndex: -1 });
    chain([this.pendingHead, ...pending, this.pendingTail]);
  }

  isAnswered(operationIndex: number): boolean {
    return this.callNodes[operationIndex] !== undefined;
  }

  /** A cursor to the first answered candidate; follow `next` and read it with `candidateAt`. */
  firstEvent(): EventNode {
    return this.eventHead.next;
  }

  /** The answered operation at `cursor` if it may go next, or -1 once the candidates are used up. */
  candidateAt(cursor: EventNode): number {
    return cursor.isCall ? cursor.operationIndex : -1;
  }

  /** The unplaced operations with unknown outcomes that may go next, in call order. */
  pendingCandidates(): number[] {
    const limit = this.firstResponse().time;
    const candidates: number[] = [];
    for (let node = this.pendingHead.next; node !== this.pendingTail; node = node.next) {
      if (this.sorted[node.operationIndex]!.call > limit) break;
      candidates.push(node.operationIndex);
    }
    return candidates;
  }

  /** The answered operations that may go next, in call order. */
  answeredCandidates(): number[] {
    const candidates: number[] = [];
    for (let node = this.eventHead.next; node.isCall; node = node.next) candidates.push(node.operationIndex);
    return candidates;
  }

  /** The unplaced answered operation that responded first; -1 if none is left. */
  firstToReturn(): number {
    return this.firstResponse().operationIndex;
  }

  place(operationIndex: number): void {
    const call = this.callNodes[operationIndex];
    if (call === undefined) {
      unlink(this.pendingNodes[operationIndex]!);
      return;
    }
    unlink(call);
    unlink(this.responseNodes[operationIndex]!);
    this.openAnsweredCount -= 1;
  }

  /** Undo `place`; placements must be undone in the reverse of the order they were made. */
  unplace(operationIndex: number): void {
    const call = this.callNodes[operationIndex];
    if (call === undefined) {
      relink(this.pendingNodes[operationIndex]!);
      return;
    }
    relink(this.responseNodes[operationIndex]!);
    relink(call);
    this.openAnsweredCount += 1;
  }

  /**
   * A canonical name for the set of placed answered operations, given the highest index among them: that
   * index, and the unplaced answered operations below it. Those all come before the first call above it in
   * the event list (a response seen on the way belongs to one of them), so the walk is as short as the
   * set of operations in flight.
   */
  placedAnsweredKey(highestPlacedIndex: number): string {
    const unplacedBelow: number[] = [];
    for (let node = this.eventHead.next; node !== this.eventTail; node = node.next) {
      if (!node.isCall) continue;
      if (node.operationIndex > highestPlacedIndex) break;
      unplacedBelow.push(node.operationIndex);
    }
    return `${highestPlacedIndex}/${unplacedBelow.join(',')}`;
  }

  private firstResponse(): EventNode {
    let node = this.eventHead.next;
    while (node.isCall) node = node.next;
    return node;
  }
}

function makeNode<N extends Linked<N>>(fields: Omit<N, 'previous' | 'next'>): N {
  const node = fields as N;
  node.previous = node;
  node.next = node;
  return node;
}

function chain<N extends Linked<N>>(nodes: readonly N[]): void {
  for (let i = 1; i < nodes.length; i += 1) {
    nodes[i - 1]!.next = nodes[i]!;
    nodes[i]!.previous = nodes[i - 1]!;
  }
}

function unlink<N extends Linked<N>>(node: N): void {
  node.previous.next = node.next;
  node.next.previous = node.previous;
}

function relink<N extends Linked<N>>(node: N): void {
  node.previous.next = node;
  node.next.previous = node;
}
